package io.fedlora.crypto.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Bounds-checked big-endian reader. Every failure is a {@link WireFormatException} whose message
 * describes the structure, never the content.
 */
public final class WireReader {
  private final byte[] buf;
  private int pos;

  public WireReader(byte[] buf) {
    this.buf = buf;
  }

  /** Thrown on truncation, bad lengths or trailing bytes. */
  public static final class WireFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public WireFormatException(String message) {
      super(message);
    }
  }

  private void need(int n, String what) throws WireFormatException {
    if (n < 0 || buf.length - pos < n) {
      throw new WireFormatException("truncated " + what + " at offset " + pos + " (need " + n
          + " bytes, have " + (buf.length - pos) + ")");
    }
  }

  public int u8(String what) throws WireFormatException {
    need(1, what);
    return buf[pos++] & 0xff;
  }

  public int u16(String what) throws WireFormatException {
    need(2, what);
    int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
    pos += 2;
    return v;
  }

  public int i32(String what) throws WireFormatException {
    need(4, what);
    int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16)
        | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
    pos += 4;
    return v;
  }

  public long i64(String what) throws WireFormatException {
    long hi = i32(what) & 0xffffffffL;
    long lo = i32(what) & 0xffffffffL;
    return (hi << 32) | lo;
  }

  public byte[] raw(int n, String what) throws WireFormatException {
    need(n, what);
    byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return out;
  }

  /** u16-length-prefixed bytes whose length must be in [min, max]. */
  public byte[] bytes16(String what, int min, int max) throws WireFormatException {
    int n = u16(what + " length");
    if (n < min || n > max) {
      throw new WireFormatException(what + " length " + n + " outside " + min + ".." + max);
    }
    return raw(n, what);
  }

  public String string16(String what, int maxBytes) throws WireFormatException {
    byte[] b = bytes16(what, 1, maxBytes);
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw new WireFormatException(what + " is not valid UTF-8");
    }
  }

  public int position() {
    return pos;
  }

  public int remaining() {
    return buf.length - pos;
  }

  public byte[] array() {
    return buf;
  }

  public void skip(int n, String what) throws WireFormatException {
    need(n, what);
    pos += n;
  }

  public void expectEnd() throws WireFormatException {
    if (pos != buf.length) {
      throw new WireFormatException((buf.length - pos) + " trailing bytes");
    }
  }
}
