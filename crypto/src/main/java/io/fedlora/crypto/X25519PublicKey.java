package io.fedlora.crypto;

import java.util.Arrays;
import java.util.HexFormat;

/** An X25519 public key (32 bytes, RFC 7748 u-coordinate encoding). */
public final class X25519PublicKey {
  public static final int SIZE = 32;
  private final byte[] key;

  private X25519PublicKey(byte[] key) {
    this.key = key;
  }

  public static X25519PublicKey fromBytes(byte[] key) {
    if (key.length != SIZE) {
      throw new IllegalArgumentException("X25519 public key must be 32 bytes, got " + key.length);
    }
    return new X25519PublicKey(key.clone());
  }

  public byte[] toBytes() {
    return key.clone();
  }

  byte[] raw() {
    return key;
  }

  public void copyTo(byte[] dst, int offset) {
    System.arraycopy(key, 0, dst, offset, SIZE);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof X25519PublicKey other && Arrays.equals(key, other.key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }

  @Override
  public String toString() {
    return "X25519PublicKey[" + HexFormat.of().formatHex(key, 0, 8) + "…]";
  }
}
