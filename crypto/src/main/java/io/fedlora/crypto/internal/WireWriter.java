package io.fedlora.crypto.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Growable big-endian byte writer for the SecAgg wire format. */
public final class WireWriter {
  private byte[] buf;
  private int pos;

  public WireWriter(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  private void ensure(int n) {
    if (pos + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
    }
  }

  public WireWriter u8(int v) {
    ensure(1);
    buf[pos++] = (byte) v;
    return this;
  }

  public WireWriter u16(int v) {
    if (v < 0 || v > 0xffff) {
      throw new IllegalArgumentException("value does not fit in 16 bits: " + v);
    }
    ensure(2);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
    return this;
  }

  public WireWriter i32(int v) {
    ensure(4);
    buf[pos++] = (byte) (v >>> 24);
    buf[pos++] = (byte) (v >>> 16);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
    return this;
  }

  public WireWriter i64(long v) {
    i32((int) (v >>> 32));
    return i32((int) v);
  }

  public WireWriter raw(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, pos, b.length);
    pos += b.length;
    return this;
  }

  /** u16 length, then the bytes. */
  public WireWriter bytes16(byte[] b) {
    u16(b.length);
    return raw(b);
  }

  /** u16 length, then UTF-8. */
  public WireWriter string16(String s) {
    return bytes16(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Reserves {@code n} bytes and returns their offset in the final array (for bulk payloads). */
  public int reserve(int n) {
    ensure(n);
    int at = pos;
    pos += n;
    return at;
  }

  public byte[] buffer() {
    return buf;
  }

  public byte[] toByteArray() {
    return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
  }
}
