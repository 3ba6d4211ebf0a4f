package io.fedlora.crypto;

import java.security.GeneralSecurityException;

/** Key agreement failed (for example a low-order public key gave an all-zero secret). */
public class KeyAgreementException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  public KeyAgreementException(String message) {
    super(message);
  }

  public KeyAgreementException(String message, Throwable cause) {
    super(message, cause);
  }
}
