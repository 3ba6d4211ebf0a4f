package io.fedlora.crypto.secagg;

import io.fedlora.crypto.internal.AesCtrKeystream;
import java.util.Arrays;

/**
 * An immutable vector of 32-bit words kept in its wire form (little-endian), so the server can add
 * it into the running sum straight from the received bytes.
 */
public final class MaskedVector {
  private final byte[] le;

  private MaskedVector(byte[] le) {
    this.le = le;
  }

  public static MaskedVector of(int[] words) {
    byte[] b = new byte[words.length * 4];
    for (int i = 0; i < words.length; i++) {
      AesCtrKeystream.INT_LE.set(b, i << 2, words[i]);
    }
    return new MaskedVector(b);
  }

  static MaskedVector wrapLittleEndian(byte[] le) {
    return new MaskedVector(le);
  }

  public int length() {
    return le.length / 4;
  }

  public int get(int i) {
    return (int) AesCtrKeystream.INT_LE.get(le, i << 2);
  }

  public int[] toIntArray() {
    int[] out = new int[length()];
    addTo(out);
    return out;
  }

  /** {@code acc[i] += this[i]} (mod 2^32). */
  public void addTo(int[] acc) {
    if (acc.length != length()) {
      throw new IllegalArgumentException("length mismatch");
    }
    for (int i = 0; i < acc.length; i++) {
      acc[i] += (int) AesCtrKeystream.INT_LE.get(le, i << 2);
    }
  }

  void copyTo(byte[] dst, int offset) {
    System.arraycopy(le, 0, dst, offset, le.length);
  }

  int byteSize() {
    return le.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MaskedVector m && Arrays.equals(le, m.le);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(le);
  }

  @Override
  public String toString() {
    return "MaskedVector[" + length() + " words]";
  }
}
