package io.fedlora.crypto;

import io.fedlora.crypto.internal.AesGcmCipher;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * AES-256-GCM (JCE) with a random 96-bit nonce per message and a 128-bit tag. Output is
 * nonce(12) ‖ ciphertext ‖ tag(16). Keys here are single-use per (job, round, sender, receiver),
 * so random nonces are far from the 2^32-messages-per-key limit.
 */
public final class AesGcmAead implements Aead {
  public static final int KEY_SIZE = 32;
  public static final int NONCE_SIZE = 12;
  public static final int TAG_SIZE = 16;
  public static final int OVERHEAD = NONCE_SIZE + TAG_SIZE;

  private final SecretBytes key;
  private final SecureRandom random;

  private AesGcmAead(SecretBytes key, SecureRandom random) {
    this.key = key;
    this.random = random;
  }

  public static AesGcmAead create(SecretBytes key, SecureRandom random) {
    if (key.size() != KEY_SIZE) {
      throw new InvalidParametersException("AES-256-GCM key must be 32 bytes, got " + key.size());
    }
    return new AesGcmAead(key, random);
  }

  @Override
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
    byte[] nonce = new byte[NONCE_SIZE];
    random.nextBytes(nonce);
    byte[] k = key.toByteArray();
    try {
      byte[] ct = AesGcmCipher.seal(k, nonce, associatedData, plaintext);
      byte[] out = new byte[NONCE_SIZE + ct.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_SIZE);
      System.arraycopy(ct, 0, out, NONCE_SIZE, ct.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable in this JVM", e);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws DecryptionException {
    if (ciphertext.length < OVERHEAD) {
      throw new DecryptionException("ciphertext too short");
    }
    byte[] k = key.toByteArray();
    try {
      return AesGcmCipher.open(
          k,
          Arrays.copyOfRange(ciphertext, 0, NONCE_SIZE),
          associatedData,
          Arrays.copyOfRange(ciphertext, NONCE_SIZE, ciphertext.length));
    } catch (GeneralSecurityException e) {
      throw new DecryptionException("AES-GCM authentication failed", e);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "AesGcmAead[key redacted]";
  }
}
