package io.fedlora.crypto;

import java.security.GeneralSecurityException;

/** Secret-sharing reconstruction failed: too few shares, duplicate indices or inconsistent shares. */
public class ReconstructionException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  public ReconstructionException(String message) {
    super(message);
  }

  public ReconstructionException(String message, Throwable cause) {
    super(message, cause);
  }
}
