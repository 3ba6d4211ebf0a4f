package io.fedlora.crypto.encoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The update decoder. After unmasking, the server decodes a modular sum in which any client may
 * have put arbitrary words, so every sum must decode to finite numbers or fail with
 * {@link IllegalArgumentException}; honest sums decode to the clipped weighted mean.
 */
class SecureUpdateFormatFuzzTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Formats to decode with: the demo's, fine ones, and the coarsest scales allowed. */
  static final SecureUpdateFormat[] FORMATS = {
    SecureUpdateFormat.finest(8, 10, 4, 1000),
    SecureUpdateFormat.finest(3, 1, 3, 1),
    SecureUpdateFormat.finest(5, 1e-6, 100, 1),
    SecureUpdateFormat.finest(2, 1e30, 2, 1 << 20),
    SecureUpdateFormat.finest(2, 1e32, 1000, 1000),
  };

  /** Input: format index (1 byte), then the sum's words, little-endian. */
  @FuzzTest
  void decode(byte[] input) {
    if (input.length == 0) {
      return;
    }
    SecureUpdateFormat format = FORMATS[(input[0] & 0xff) % FORMATS.length];
    int[] sum = new int[(input.length - 1) / 4];
    ByteBuffer.wrap(input, 1, sum.length * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(sum);
    SecureUpdateFormat.Aggregate a;
    try {
      a = format.decode(sum);
    } catch (IllegalArgumentException refused) {
      long most = (long) format.parameters().cohortSize() * format.parameters().maxWeight();
      assertTrue(sum.length != format.vectorLength() || sum[sum.length - 2] < 1 || sum[sum.length - 2] > most,
          refused::toString);
      return;
    }
    assertEquals(sum[sum.length - 2], a.totalWeight());
    for (float v : a.meanUpdate()) {
      assertTrue(Float.isFinite(v), "a sum decoded to a non-finite parameter");
    }
    assertTrue(Double.isFinite(a.meanLoss()));
    QuantizedEncoder head = new QuantizedEncoder(format.parameters());
    assertArrayEquals(a.meanUpdate(), head.decode(Arrays.copyOf(sum, sum.length - 1)).mean());
  }

  @FuzzTest
  void roundTrip(FuzzedDataProvider data) {
    int dimension = data.consumeInt(1, 32);
    double clip = data.consumeRegularDouble(1e-3, 1e3);
    int cohort = data.consumeInt(1, 8);
    int maxWeight = data.consumeInt(1, 1000);
    SecureUpdateFormat format = SecureUpdateFormat.finest(dimension, clip, cohort, maxWeight);
    int clients = data.consumeInt(1, cohort);
    int[] sum = new int[format.vectorLength()];
    double[] weighted = new double[dimension];
    long total = 0;
    double lossSum = 0;
    for (int c = 0; c < clients; c++) {
      float[] update = new float[dimension];
      double sq = 0;
      for (int i = 0; i < dimension; i++) {
        update[i] = data.consumeRegularFloat();
        sq += (double) update[i] * update[i];
      }
      int weight = data.consumeInt(1, maxWeight);
      double loss = data.consumeDouble();
      int[] encoded = format.encode(update, weight, loss, RANDOM);
      for (int i = 0; i < sum.length; i++) {
        sum[i] += encoded[i];
      }
      double shrink = Math.sqrt(sq) > clip ? clip / Math.sqrt(sq) : 1;
      for (int i = 0; i < dimension; i++) {
        weighted[i] += weight * (update[i] * shrink);
      }
      total += weight;
      lossSum += weight * (Double.isNaN(loss) ? SecureUpdateFormat.MAX_LOSS
          : Math.min(SecureUpdateFormat.MAX_LOSS, Math.max(0, loss)));
    }
    SecureUpdateFormat.Aggregate a = format.decode(sum);
    assertEquals(total, a.totalWeight());
    double bound = format.parameters().meanErrorBound(clients, total);
    for (int i = 0; i < dimension; i++) {
      double expected = weighted[i] / total;
      assertEquals(expected, a.meanUpdate()[i], bound + 1e-6 * (Math.abs(expected) + clip));
    }
    assertEquals(lossSum / total, a.meanLoss(), clients / (format.lossScale() * total) + 1e-9);
  }
}
