package io.fedlora.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.math.ec.rfc7748.X25519;

/** An X25519 private key (Bouncy Castle's constant-time implementation underneath). */
public final class X25519PrivateKey {
  public static final int SIZE = 32;
  private final SecretBytes key;

  private X25519PrivateKey(SecretBytes key) {
    this.key = key;
  }

  public static X25519PrivateKey generate(SecureRandom random) {
    byte[] k = new byte[SIZE];
    X25519.generatePrivateKey(random, k);
    return new X25519PrivateKey(SecretBytes.wrap(k));
  }

  /** Any 32 bytes are a valid private key (clamping happens in the scalar multiplication). */
  public static X25519PrivateKey fromSecret(SecretBytes key) {
    if (key.size() != SIZE) {
      throw new IllegalArgumentException("X25519 private key must be 32 bytes, got " + key.size());
    }
    return new X25519PrivateKey(key);
  }

  public SecretBytes secret() {
    return key;
  }

  public X25519PublicKey publicKey() {
    byte[] k = key.toByteArray();
    byte[] pk = new byte[X25519PublicKey.SIZE];
    X25519.generatePublicKey(k, 0, pk, 0);
    Arrays.fill(k, (byte) 0);
    return X25519PublicKey.fromBytes(pk);
  }

  /**
   * The raw X25519 shared secret with {@code peer}. Never use it as a key directly: derive keys
   * with {@link KeyDerivation}.
   *
   * @throws KeyAgreementException if the result is all zeros (a low-order peer key)
   */
  public SecretBytes agree(X25519PublicKey peer) throws KeyAgreementException {
    byte[] k = key.toByteArray();
    byte[] out = new byte[32];
    try {
      if (!X25519.calculateAgreement(k, 0, peer.raw(), 0, out, 0)) {
        throw new KeyAgreementException("X25519 agreement gave the all-zero secret (low-order key)");
      }
      return SecretBytes.wrap(out);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "X25519PrivateKey[redacted]";
  }
}
