package io.fedlora.crypto.encoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.InvalidParametersException;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantizedEncoderTest {

  @Test
  void singleClientErrorIsBelowOneUnitAndClippingHolds() {
    Random pick = new Random(3);
    SecureRandom r = new SecureRandom();
    for (int iter = 0; iter < 40; iter++) {
      int p = 1 + pick.nextInt(5000);
      double clip = 0.1 + pick.nextDouble() * 10;
      double scale = Math.pow(2, 4 + pick.nextInt(16));
      int maxWeight = 1 + pick.nextInt(50);
      EncodingParameters params;
      try {
        params = new EncodingParameters(p, clip, scale, 10, maxWeight);
      } catch (InvalidParametersException e) {
        continue; // headroom rejection is tested separately
      }
      QuantizedEncoder enc = new QuantizedEncoder(params);
      float[] x = new float[p];
      double sq = 0;
      for (int i = 0; i < p; i++) {
        x[i] = (float) (pick.nextGaussian() * (pick.nextBoolean() ? 0.01 : 1));
        sq += (double) x[i] * x[i];
      }
      double factor = Math.min(1, clip / Math.sqrt(sq));
      int w = 1 + pick.nextInt(maxWeight);
      int[] q = enc.encode(x, w, r);
      assertEquals(w, q[p]);
      DecodedAggregate d = enc.decode(q);
      assertEquals(w, d.totalWeight());
      float[] mean = d.mean();
      double bound = params.meanErrorBound(1, w);
      for (int i = 0; i < p; i++) {
        double err = Math.abs(mean[i] - x[i] * factor);
        assertTrue(err <= bound + 1e-6 * Math.abs(x[i] * factor) + 1e-12,
            "iter " + iter + " i " + i + " err " + err + " bound " + bound);
      }
    }
  }

  @Test
  void stochasticRoundingIsUnbiased() {
    QuantizedEncoder enc = new QuantizedEncoder(new EncodingParameters(20_000, 1e9, 1.0, 1, 1));
    float[] x = new float[20_000];
    java.util.Arrays.fill(x, 0.25f);
    int[] q = enc.encode(x, 1, new SecureRandom());
    long ones = 0;
    for (int i = 0; i < x.length; i++) {
      assertTrue(q[i] == 0 || q[i] == 1);
      ones += q[i];
    }
    assertEquals(5000, ones, 300); // mean 0.25·20000, sd ≈ 61
  }

  @Test
  void sumOfManyClientsDecodesToWeightedMean() {
    int n = 50;
    int p = 300;
    EncodingParameters params = new EncodingParameters(p, 1.0, 1 << 20, n, 10);
    QuantizedEncoder enc = new QuantizedEncoder(params);
    SecureRandom r = new SecureRandom();
    Random pick = new Random(5);
    int[] sum = new int[p + 1];
    double[] exact = new double[p];
    long totalW = 0;
    for (int c = 0; c < n; c++) {
      float[] x = new float[p];
      for (int i = 0; i < p; i++) {
        x[i] = (float) ((pick.nextDouble() - 0.5) * 0.1);
      }
      double sq = 0;
      for (float v : x) {
        sq += v * v;
      }
      double f = Math.min(1, 1.0 / Math.sqrt(sq));
      int w = 1 + pick.nextInt(10);
      totalW += w;
      int[] q = enc.encode(x, w, r);
      for (int i = 0; i <= p; i++) {
        sum[i] += q[i];
      }
      for (int i = 0; i < p; i++) {
        exact[i] += w * x[i] * f;
      }
    }
    DecodedAggregate d = enc.decode(sum);
    assertEquals(totalW, d.totalWeight());
    for (int i = 0; i < p; i++) {
      assertEquals(exact[i] / totalW, d.mean()[i], params.meanErrorBound(n, totalW) + 1e-6);
    }
  }

  @Test
  void headroomIsCheckedAtConfigurationTime() {
    InvalidParametersException e = assertThrows(InvalidParametersException.class,
        () -> new EncodingParameters(10, 1.0, 1 << 26, 100, 1));
    assertTrue(e.getMessage().contains("overflow"), e.getMessage());
    assertTrue(e.getMessage().contains("use scale ≤"), e.getMessage());
    // Exactly at the limit is fine.
    new EncodingParameters(10, 1.0, Math.floor(Integer.MAX_VALUE / 100.0), 100, 1);
    InvalidParametersException all = assertThrows(InvalidParametersException.class,
        () -> new EncodingParameters(0, -1, 0, 0, 0));
    assertTrue(all.getMessage().contains("dimension") && all.getMessage().contains("maxWeight"));
  }

  @Test
  void rejectsBadInput() {
    QuantizedEncoder enc = new QuantizedEncoder(new EncodingParameters(3, 1, 100, 2, 2));
    SecureRandom r = new SecureRandom();
    assertThrows(IllegalArgumentException.class, () -> enc.encode(new float[2], 1, r));
    assertThrows(IllegalArgumentException.class, () -> enc.encode(new float[3], 3, r));
    assertThrows(IllegalArgumentException.class, () -> enc.encode(new float[] {Float.NaN, 0, 0}, 1, r));
    assertThrows(IllegalArgumentException.class, () -> enc.decode(new int[] {0, 0, 0, 0}));
  }
}
