package io.fedlora.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedlora.crypto.MaskPrg.MaskTerm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaskPrgTest {

  @Test
  void littleEndianMaskingEqualsAccumulateOnACopy() {
    SecureRandom r = new SecureRandom();
    Random pick = new Random(11);
    for (int len : new int[] {0, 1, 4095, 4096, 4097, 20_000}) {
      for (int termCount : new int[] {0, 1, 3}) {
        List<MaskTerm> terms = new ArrayList<>();
        for (int i = 0; i < termCount; i++) {
          SecretBytes s = SecretBytes.random(MaskPrg.SEED_SIZE, r);
          terms.add(i % 2 == 0 ? MaskTerm.plus(s) : MaskTerm.minus(s));
        }
        int[] input = pick.ints(len).toArray();
        int[] expected = input.clone();
        MaskPrg.accumulate(terms, expected);
        byte[] out = new byte[4 * len];
        MaskPrg.accumulateLittleEndian(terms, input, out);
        int[] got = new int[len];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(got);
        assertArrayEquals(expected, got, "len " + len + ", terms " + termCount);
      }
    }
  }

  @Test
  void anyThreadCountGivesTheSameMaskedVector() {
    SecureRandom r = new SecureRandom();
    Random pick = new Random(12);
    // 300,000 words = 75,000 AES blocks: ranges start at counters that carry into a third byte.
    for (int len : new int[] {1, 4096, 4097, 3 * 4096 + 5, 300_000}) {
      List<MaskTerm> terms = List.of(MaskTerm.plus(SecretBytes.random(MaskPrg.SEED_SIZE, r)),
          MaskTerm.minus(SecretBytes.random(MaskPrg.SEED_SIZE, r)));
      int[] input = pick.ints(len).toArray();
      byte[] oneThread = new byte[4 * len];
      MaskPrg.accumulateLittleEndian(terms, input, oneThread, 1);
      for (int threads : new int[] {2, 3, 7, 64}) {
        byte[] many = new byte[4 * len];
        MaskPrg.accumulateLittleEndian(terms, input, many, threads);
        assertArrayEquals(oneThread, many, "len " + len + ", threads " + threads);
      }
    }
  }

  @Test
  void unmaskingOnAnyThreadCountGivesTheSameSum() {
    SecureRandom r = new SecureRandom();
    Random pick = new Random(13);
    for (int len : new int[] {1, 4096, 4097, 3 * 4096 + 5, 300_000}) {
      List<MaskTerm> terms = List.of(MaskTerm.plus(SecretBytes.random(MaskPrg.SEED_SIZE, r)),
          MaskTerm.minus(SecretBytes.random(MaskPrg.SEED_SIZE, r)), MaskTerm.minus(SecretBytes.random(MaskPrg.SEED_SIZE, r)));
      int[] start = pick.ints(len).toArray();
      int[] oneThread = start.clone();
      MaskPrg.accumulate(terms, oneThread, 1);
      for (int threads : new int[] {2, 3, 7, 64}) {
        int[] many = start.clone();
        MaskPrg.accumulate(terms, many, threads);
        assertArrayEquals(oneThread, many, "len " + len + ", threads " + threads);
      }
    }
  }

  @Test
  void keystreamFromABlockEqualsSkippingToIt() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    byte[] whole = new byte[16 * 70_000];
    io.fedlora.crypto.internal.AesCtrKeystream from0 = new io.fedlora.crypto.internal.AesCtrKeystream(key);
    for (int off = 0; off < whole.length; off += 65_536) {
      byte[] part = new byte[Math.min(65_536, whole.length - off)];
      from0.next(part, part.length);
      System.arraycopy(part, 0, whole, off, part.length);
    }
    for (long block : new long[] {0, 1, 255, 256, 65_535, 65_536, 69_999}) {
      byte[] got = new byte[16];
      new io.fedlora.crypto.internal.AesCtrKeystream(key, block).next(got, 16);
      assertArrayEquals(java.util.Arrays.copyOfRange(whole, (int) block * 16, (int) block * 16 + 16), got,
          "block " + block);
    }
  }

  @Test
  void littleEndianMaskingChecksTheOutputSize() {
    assertThrows(IllegalArgumentException.class,
        () -> MaskPrg.accumulateLittleEndian(List.of(), new int[3], new byte[11]));
  }
}
