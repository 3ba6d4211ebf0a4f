package io.fedlora.crypto.internal;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/** RFC 5869 HKDF with HMAC-SHA256 (Bouncy Castle). */
public final class HkdfSha256 {
  public static final int MAX_OUTPUT = 255 * 32;

  private HkdfSha256() {}

  public static byte[] derive(byte[] ikm, byte[] salt, byte[] info, int length) {
    if (length <= 0 || length > MAX_OUTPUT) {
      throw new IllegalArgumentException("HKDF-SHA256 output length must be in 1.." + MAX_OUTPUT);
    }
    HKDFBytesGenerator gen = new HKDFBytesGenerator(new SHA256Digest());
    // An empty salt means HashLen zero bytes (RFC 5869 §2.2); BC treats null that way.
    gen.init(new HKDFParameters(ikm, salt == null || salt.length == 0 ? null : salt, info));
    byte[] out = new byte[length];
    gen.generateBytes(out, 0, length);
    return out;
  }
}
