package io.fedlora.crypto;

/** Authenticated encryption with associated data. Nonces are chosen internally. */
public interface Aead {
  /** Returns nonce ‖ ciphertext ‖ tag. */
  byte[] encrypt(byte[] plaintext, byte[] associatedData);

  /**
   * @throws DecryptionException if the ciphertext, tag or associated data do not authenticate
   */
  byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws DecryptionException;
}
