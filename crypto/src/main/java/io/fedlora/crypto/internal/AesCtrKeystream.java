package io.fedlora.crypto.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-CTR keystream through JCE (SunJCE uses AES-NI/VAES intrinsics; Bouncy Castle's pure-Java
 * AES is ~50x slower). Initial counter block is all zeros; the keystream is read as little-endian
 * 32-bit words. One instance per seed; not thread-safe.
 */
public final class AesCtrKeystream {
  public static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** Zero plaintext: CTR encryption of zeros is the keystream. Shared, never written. */
  private static final byte[] ZEROS = new byte[64 * 1024];

  private final Cipher cipher;

  public AesCtrKeystream(byte[] key) {
    this(key, 0);
  }

  /**
   * The keystream from 16-byte block {@code firstBlock} on: the same bytes as skipping
   * 16·firstBlock bytes of {@code new AesCtrKeystream(key)}, so that ranges of one stream can be
   * expanded on different threads.
   */
  public AesCtrKeystream(byte[] key, long firstBlock) {
    if (firstBlock < 0) {
      throw new IllegalArgumentException("firstBlock must be >= 0");
    }
    if (key.length != 32) {
      throw new IllegalArgumentException("AES-256-CTR needs a 32-byte key");
    }
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      // SunJCE's CTR counts the whole 128-bit block big-endian, so block b has counter block b.
      byte[] iv = new byte[16];
      for (int i = 0; i < 8; i++) {
        iv[15 - i] = (byte) (firstBlock >>> (8 * i));
      }
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/CTR/NoPadding unavailable in this JVM", e);
    }
  }

  /** Writes the next {@code len} keystream bytes into {@code out[0..len)}; len ≤ 64 KiB. */
  public void next(byte[] out, int len) {
    try {
      int n = cipher.update(ZEROS, 0, len, out, 0);
      if (n != len) {
        throw new IllegalStateException("short CTR output");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static int maxChunkBytes() {
    return ZEROS.length;
  }
}
