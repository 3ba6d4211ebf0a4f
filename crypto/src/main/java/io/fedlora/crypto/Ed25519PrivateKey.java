package io.fedlora.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** An Ed25519 private key (the 32-byte RFC 8032 seed). */
public final class Ed25519PrivateKey {
  public static final int SIZE = 32;
  private final SecretBytes seed;
  private final Ed25519PublicKey publicKey;

  private Ed25519PrivateKey(SecretBytes seed) {
    this.seed = seed;
    byte[] s = seed.toByteArray();
    byte[] pk = new byte[Ed25519PublicKey.SIZE];
    Ed25519.generatePublicKey(s, 0, pk, 0);
    Arrays.fill(s, (byte) 0);
    this.publicKey = Ed25519PublicKey.fromBytes(pk);
  }

  public static Ed25519PrivateKey generate(SecureRandom random) {
    return new Ed25519PrivateKey(SecretBytes.random(SIZE, random));
  }

  public static Ed25519PrivateKey fromSeed(SecretBytes seed) {
    if (seed.size() != SIZE) {
      throw new IllegalArgumentException("Ed25519 seed must be 32 bytes, got " + seed.size());
    }
    return new Ed25519PrivateKey(seed);
  }

  public Ed25519PublicKey publicKey() {
    return publicKey;
  }

  /** A 64-byte pure Ed25519 signature (deterministic, RFC 8032). */
  public Bytes sign(byte[] message) {
    byte[] s = seed.toByteArray();
    byte[] sig = new byte[Ed25519PublicKey.SIGNATURE_SIZE];
    try {
      Ed25519.sign(s, 0, message, 0, message.length, sig, 0);
    } finally {
      Arrays.fill(s, (byte) 0);
    }
    return Bytes.copyOf(sig);
  }

  @Override
  public String toString() {
    return "Ed25519PrivateKey[redacted, public=" + publicKey + "]";
  }
}
