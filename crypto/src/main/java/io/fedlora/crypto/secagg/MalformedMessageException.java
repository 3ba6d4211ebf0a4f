package io.fedlora.crypto.secagg;

/** Bytes that do not parse as a SecAgg message (truncated, bad lengths, unknown type, trailing data). */
public final class MalformedMessageException extends SecAggException {
  private static final long serialVersionUID = 1L;

  public MalformedMessageException(String message) {
    super(message);
  }
}
