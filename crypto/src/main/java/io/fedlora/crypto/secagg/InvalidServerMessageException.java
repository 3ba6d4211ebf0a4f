package io.fedlora.crypto.secagg;

/**
 * A client received a well-formed server message that breaks the protocol (wrong round or
 * recipient, peers outside its neighbourhood, overlapping unmask lists, …). The client stops.
 */
public final class InvalidServerMessageException extends SecAggException {
  private static final long serialVersionUID = 1L;

  public InvalidServerMessageException(String message) {
    super(message);
  }
}
