package io.fedlora.crypto.pki;

import java.security.GeneralSecurityException;

/** A certificate, request or key does not parse, does not verify, or does not fit fedlora's profile. */
public class InvalidCertificateException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  public InvalidCertificateException(String message) {
    super(message);
  }

  public InvalidCertificateException(String message, Throwable cause) {
    super(message, cause);
  }
}
