package io.fedlora.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Secret key material (keys, seeds, shares). Immutable; {@link #toString()} never shows the
 * bytes and {@link #equals(Object)} compares in constant time.
 */
public final class SecretBytes {
  private final byte[] bytes;

  private SecretBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies {@code bytes}; the caller may wipe its array afterwards. */
  public static SecretBytes copyOf(byte[] bytes) {
    return new SecretBytes(bytes.clone());
  }

  /** {@code length} fresh random bytes. */
  public static SecretBytes random(int length, SecureRandom random) {
    if (length <= 0) {
      throw new IllegalArgumentException("length must be positive, got " + length);
    }
    byte[] b = new byte[length];
    random.nextBytes(b);
    return new SecretBytes(b);
  }

  /** Takes ownership of {@code bytes} without copying (for internal producers). */
  static SecretBytes wrap(byte[] bytes) {
    return new SecretBytes(bytes);
  }

  public int size() {
    return bytes.length;
  }

  /** A copy of the secret; callers should wipe it when done. */
  public byte[] toByteArray() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretBytes other && MessageDigest.isEqual(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return bytes.length; // never derived from the secret
  }

  @Override
  public String toString() {
    return "SecretBytes[" + bytes.length + " bytes, redacted]";
  }

  /** Overwrites the secret with zeros; the object is unusable afterwards. */
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
  }
}
