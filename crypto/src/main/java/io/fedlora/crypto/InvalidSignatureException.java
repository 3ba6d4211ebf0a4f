package io.fedlora.crypto;

import java.security.GeneralSecurityException;

/** A signature did not verify. */
public class InvalidSignatureException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  public InvalidSignatureException(String message) {
    super(message);
  }

  public InvalidSignatureException(String message, Throwable cause) {
    super(message, cause);
  }
}
