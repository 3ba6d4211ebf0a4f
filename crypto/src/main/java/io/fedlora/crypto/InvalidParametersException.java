package io.fedlora.crypto;

/** A parameter or a combination of parameters is invalid; raised once, at build time. */
public class InvalidParametersException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidParametersException(String message) {
    super(message);
  }
}
