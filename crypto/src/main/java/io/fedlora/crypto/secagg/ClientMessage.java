package io.fedlora.crypto.secagg;

/** A message from a client to the server. */
public sealed interface ClientMessage extends SecAggMessage
    permits AdvertiseKeys, ShareKeys, MaskedInput, UnmaskResponse {
  ClientId sender();

  static ClientMessage parse(byte[] bytes) {
    SecAggMessage m = SecAggMessage.parse(bytes);
    if (m instanceof ClientMessage c) {
      return c;
    }
    throw new MalformedMessageException("expected a client message, got " + m.type());
  }
}
