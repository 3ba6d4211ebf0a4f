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
  void littleEndianMaskingChecksTheOutputSize() {
    assertThrows(IllegalArgumentException.class,
        () -> MaskPrg.accumulateLittleEndian(List.of(), new int[3], new byte[11]));
  }
}
