package io.fedlora.crypto;

import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** An Ed25519 public key (RFC 8032, 32 bytes). Verifies pure Ed25519 signatures. */
public final class Ed25519PublicKey {
  public static final int SIZE = 32;
  public static final int SIGNATURE_SIZE = 64;
  private final byte[] key;

  private Ed25519PublicKey(byte[] key) {
    this.key = key;
  }

  public static Ed25519PublicKey fromBytes(byte[] key) {
    if (key.length != SIZE) {
      throw new IllegalArgumentException("Ed25519 public key must be 32 bytes, got " + key.length);
    }
    return new Ed25519PublicKey(key.clone());
  }

  public byte[] toBytes() {
    return key.clone();
  }

  /**
   * Verifies {@code signature} over {@code message}.
   *
   * @throws InvalidSignatureException if it does not verify (including a wrong length)
   */
  public void verify(Bytes signature, byte[] message) throws InvalidSignatureException {
    verify(signature.toByteArray(), message);
  }

  public void verify(byte[] signature, byte[] message) throws InvalidSignatureException {
    if (signature.length != SIGNATURE_SIZE) {
      throw new InvalidSignatureException("Ed25519 signature must be 64 bytes");
    }
    boolean ok;
    try {
      ok = Ed25519.verify(signature, 0, key, 0, message, 0, message.length);
    } catch (RuntimeException e) {
      ok = false; // malformed point encodings
    }
    if (!ok) {
      throw new InvalidSignatureException("Ed25519 signature does not verify");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ed25519PublicKey other && Arrays.equals(key, other.key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }

  @Override
  public String toString() {
    return "Ed25519PublicKey[" + HexFormat.of().formatHex(key, 0, 8) + "…]";
  }
}
