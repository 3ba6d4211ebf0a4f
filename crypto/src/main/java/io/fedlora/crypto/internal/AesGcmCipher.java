package io.fedlora.crypto.internal;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** Raw AES-GCM through JCE (SunJCE, hardware AES), 128-bit tags. Any AES key size. */
public final class AesGcmCipher {
  public static final int TAG_BITS = 128;

  private AesGcmCipher() {}

  /** Returns ciphertext ‖ tag. */
  public static byte[] seal(byte[] key, byte[] iv, byte[] aad, byte[] plaintext)
      throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, iv));
    c.updateAAD(aad);
    return c.doFinal(plaintext);
  }

  /** Takes ciphertext ‖ tag; throws {@link AEADBadTagException} when it does not authenticate. */
  public static byte[] open(byte[] key, byte[] iv, byte[] aad, byte[] ciphertextAndTag)
      throws GeneralSecurityException {
    if (ciphertextAndTag.length < TAG_BITS / 8) {
      throw new AEADBadTagException("ciphertext shorter than the tag");
    }
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, iv));
    c.updateAAD(aad);
    return c.doFinal(ciphertextAndTag);
  }
}
