package io.fedlora.crypto.secagg;

/** A message from the server to one client. */
public sealed interface ServerMessage extends SecAggMessage
    permits KeyDirectory, ShareBundle, UnmaskRequest {
  ClientId recipient();

  static ServerMessage parse(byte[] bytes) {
    SecAggMessage m = SecAggMessage.parse(bytes);
    if (m instanceof ServerMessage s) {
      return s;
    }
    throw new MalformedMessageException("expected a server message, got " + m.type());
  }
}
