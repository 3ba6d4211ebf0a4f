package io.fedlora.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Share ciphertexts and their associated data arrive from other clients through the server. The
 * AEAD opens only what it sealed, and everything else fails with {@link DecryptionException}.
 */
class AesGcmAeadFuzzTest {
  /** The key the seeds in {@code AesGcmAeadFuzzTestInputs/decrypt} were sealed under. */
  static final SecretBytes KEY = SecretBytes.copyOf(filled(32, (byte) 0x42));

  private final Aead aead = AesGcmAead.create(KEY, new SecureRandom());

  /** Input: aad length (1 byte), aad, then nonce ‖ ciphertext ‖ tag. */
  @FuzzTest
  void decrypt(byte[] input) throws DecryptionException {
    if (input.length == 0) {
      assertThrows(DecryptionException.class, () -> aead.decrypt(input, input));
      return;
    }
    int aadLength = Math.min(input[0] & 0xff, input.length - 1);
    byte[] aad = Arrays.copyOfRange(input, 1, 1 + aadLength);
    byte[] ct = Arrays.copyOfRange(input, 1 + aadLength, input.length);
    byte[] pt;
    try {
      pt = aead.decrypt(ct, aad);
    } catch (DecryptionException expected) {
      return;
    }
    // Only a genuine seed gets here; any change to it must then fail.
    assertArrayEquals(pt, aead.decrypt(ct, aad));
    for (int bit = 0; bit < ct.length * 8; bit++) {
      byte[] flipped = ct.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(DecryptionException.class, () -> aead.decrypt(flipped, aad));
    }
    byte[] otherAad = Arrays.copyOf(aad, aad.length + 1);
    assertThrows(DecryptionException.class, () -> aead.decrypt(ct, otherAad));
  }

  @FuzzTest
  void roundTrip(FuzzedDataProvider data) throws DecryptionException {
    byte[] aad = data.consumeBytes(data.consumeInt(0, 256));
    byte[] plaintext = data.consumeBytes(data.consumeInt(0, 1024));
    byte[] ct = aead.encrypt(plaintext, aad);
    assertArrayEquals(plaintext, aead.decrypt(ct, aad));
    byte[] tampered = ct.clone();
    int at = data.consumeInt(0, ct.length - 1);
    tampered[at] ^= (byte) data.consumeInt(1, 255);
    assertThrows(DecryptionException.class, () -> aead.decrypt(tampered, aad));
    assertThrows(DecryptionException.class, () -> aead.decrypt(Arrays.copyOf(ct, data.consumeInt(0, ct.length - 1)), aad));
  }

  private static byte[] filled(int n, byte b) {
    byte[] out = new byte[n];
    Arrays.fill(out, b);
    return out;
  }
}
