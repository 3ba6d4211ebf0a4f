package io.fedlora.crypto;

import java.security.GeneralSecurityException;

/** Authenticated decryption failed: wrong key, tampered ciphertext or wrong associated data. */
public class DecryptionException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  public DecryptionException(String message) {
    super(message);
  }

  public DecryptionException(String message, Throwable cause) {
    super(message, cause);
  }
}
