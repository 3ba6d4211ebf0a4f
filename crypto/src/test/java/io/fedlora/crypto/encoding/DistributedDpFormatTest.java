package io.fedlora.crypto.encoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.privacy.DistributedDpCalibration;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.crypto.privacy.InvalidPrivacyParameterException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DistributedDpFormatTest {

  private static final Bytes ROTATION = Bytes.copyOf(new byte[32]);

  /** Deterministic SecureRandom so a failure reproduces (SHA1PRNG seeded before first use). */
  private static SecureRandom seeded(String seed) throws Exception {
    SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
    r.setSeed(seed.getBytes(StandardCharsets.UTF_8));
    return r;
  }

  /** Parameters with the finest granularity that cannot wrap, for per-client noise sigma. */
  private static DistributedDpParameters params(int d, double clip, double sigma, int n) {
    double gamma = DistributedDpParameters.minimumGranularity(d, clip, sigma, n, 32) * 1.001;
    return new DistributedDpParameters(d, clip, gamma, sigma, n, n, 32);
  }

  private static float[][] updates(int n, int d, double scale, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] u = new float[n][d];
    for (float[] x : u) {
      for (int i = 0; i < d; i++) {
        x[i] = (float) (scale * (r.nextDouble() * 2 - 1));
      }
    }
    return u;
  }

  private static int[] sum(DistributedDpFormat f, float[][] updates, SecureRandom random) {
    int[] s = new int[f.vectorLength()];
    for (float[] u : updates) {
      int[] e = f.encode(u, 1, 0.5, random);
      assertEquals(f.vectorLength(), e.length);
      for (int i = 0; i < s.length; i++) {
        s[i] += e[i];
      }
    }
    return s;
  }

  @Test
  void encodeSumDecodeRecoversTheMeanWithinTheStatedErrorWhenNoiseIsSmall() throws Exception {
    int n = 5;
    int d = 300;
    DistributedDpParameters p = params(d, 1.0, 1e-6, n);
    DistributedDpFormat f = new DistributedDpFormat(p, ROTATION);
    assertEquals(512, f.vectorLength());
    float[][] u = updates(n, d, 0.05, 1); // norms ~0.5, below the clip
    SecureVectorFormat.Aggregate a = f.decode(sum(f, u, seeded("small")), n);
    assertEquals(n, a.totalWeight());
    assertTrue(Double.isNaN(a.meanLoss()), "no loss travels under client-level DP");
    double bound = 6 * p.meanErrorStddev(n);
    float[] mean = a.meanUpdate();
    for (int i = 0; i < d; i++) {
      double expected = 0;
      for (float[] x : u) {
        expected += x[i];
      }
      expected /= n;
      assertEquals(expected, mean[i], bound, "coordinate " + i + " within 6 stated standard deviations");
    }
  }

  @Test
  void updatesAboveTheClipNormAreScaledDownToIt() throws Exception {
    int d = 64;
    DistributedDpFormat f = new DistributedDpFormat(params(d, 1.0, 1e-6, 3), ROTATION);
    float[][] u = updates(3, d, 1.0, 2); // norms ~4.6
    float[] mean = f.decode(sum(f, u, seeded("clip")), 3).meanUpdate();
    for (int i = 0; i < d; i++) {
      double expected = 0;
      for (float[] x : u) {
        double norm = 0;
        for (float v : x) {
          norm += (double) v * v;
        }
        expected += x[i] / Math.sqrt(norm);
      }
      assertEquals(expected / 3, mean[i], 1e-4, "coordinate " + i);
    }
  }

  @Test
  void theNoiseHasTheCalibratedVariance() throws Exception {
    // sigma/gamma = 40 integer units: a zero update rounds to exactly zero, so every word is noise.
    int d = 4096;
    double gamma = 0.025;
    DistributedDpParameters p = new DistributedDpParameters(d, 1.0, gamma, 1.0, 4, 4, 32);
    DistributedDpFormat f = new DistributedDpFormat(p, ROTATION);
    SecureRandom random = seeded("noise");
    int[] total = new int[d];
    double sq = 0;
    long count = 0;
    for (int c = 0; c < 4; c++) {
      int[] e = f.encode(new float[d], random);
      for (int i = 0; i < d; i++) {
        sq += (double) e[i] * e[i];
        total[i] += e[i];
        count++;
      }
    }
    double variance = sq / count;
    double expected = p.integerNoiseSigma() * p.integerNoiseSigma();
    assertEquals(expected, variance, 0.05 * expected, "per-client integer noise variance (sigma/gamma)^2");

    // Decoded, the mean of 4 clients carries noise of variance sigma^2 / 4 in every coordinate.
    float[] mean = f.decode(total, 4).meanUpdate();
    double m2 = 0;
    for (float v : mean) {
      m2 += (double) v * v;
    }
    assertEquals(0.25, m2 / d, 0.25 * 0.08, "decoded mean's noise variance sigma^2/n");
  }

  @Test
  void calibratedNoiseIsLargeAndStillHasItsVariance() throws Exception {
    // The parameters a real round uses: 32-bit words leave a very fine granularity, so the
    // integer noise parameter is in the hundreds of millions.
    DistributedDpParameters p = DistributedDpCalibration.calibrate(
        new DistributedDpCalibration.Target(8, 1e-5, 5), 2048, 1.0, 4, 4, 32);
    assertTrue(p.integerNoiseSigma() > 1e7, "sigma/gamma = " + p.integerNoiseSigma());
    DistributedDpFormat f = new DistributedDpFormat(p, ROTATION);
    long t0 = System.nanoTime();
    int[] e = f.encode(new float[2048], seeded("large"));
    double ms = (System.nanoTime() - t0) / 1e6;
    double sq = 0;
    for (int v : e) {
      sq += (double) v * v;
    }
    double expected = p.integerNoiseSigma() * p.integerNoiseSigma();
    assertEquals(expected, sq / e.length, 0.1 * expected);
    assertTrue(ms < 5_000, "encoding 2048 values took " + ms + " ms");
  }

  @Test
  void conditionalRoundingIsUnbiasedAndMeetsTheBound() throws Exception {
    // A coarse granularity (so rounding matters) at the clip norm exactly.
    int d = 16;
    DistributedDpParameters p = new DistributedDpParameters(d, 1.0, 0.2, 1.0, 2, 2, 32);
    DistributedDpFormat f = new DistributedDpFormat(p, ROTATION);
    float[] x = new float[d];
    x[3] = 1;
    double[] y = f.scaledRotation(x);
    SecureRandom random = seeded("round");
    double[] avg = new double[y.length];
    int trials = 4000;
    for (int t = 0; t < trials; t++) {
      long[] r = f.roundConditionally(y, random);
      double sq = 0;
      for (int i = 0; i < r.length; i++) {
        sq += (double) r[i] * r[i];
        avg[i] += r[i] / (double) trials;
        assertTrue(Math.abs(r[i] - y[i]) < 1, "rounds to a neighbouring integer");
      }
      assertTrue(Math.sqrt(sq) <= p.l2Bound(), "rounded norm within the bound");
    }
    for (int i = 0; i < y.length; i++) {
      assertEquals(y[i], avg[i], 0.05, "unbiased rounding, coordinate " + i);
    }
  }

  @Test
  void badInputsAreRefused() {
    DistributedDpFormat f = new DistributedDpFormat(params(10, 1.0, 0.1, 3), ROTATION);
    SecureRandom r = new SecureRandom();
    assertThrows(IllegalArgumentException.class, () -> f.encode(new float[9], r));
    float[] nan = new float[10];
    nan[2] = Float.NaN;
    assertThrows(IllegalArgumentException.class, () -> f.encode(nan, r));
    assertThrows(IllegalArgumentException.class, () -> f.decode(new int[15], 3));
    assertThrows(IllegalArgumentException.class, () -> f.decode(new int[16], 0));
    // A granularity so fine that 3 clients' sums would wrap modulo 2^32.
    var wrap = assertThrows(InvalidPrivacyParameterException.class,
        () -> new DistributedDpParameters(10, 1.0, 1e-12, 1.0, 3, 3, 32));
    assertTrue(wrap.getMessage().contains("too fine for 32-bit words"), wrap.getMessage());
    var floor = assertThrows(InvalidPrivacyParameterException.class,
        () -> new DistributedDpParameters(10, 1.0, 1.0, 0.1, 3, 3, 32));
    assertTrue(floor.getMessage().contains(">= 0.5"), floor.getMessage());
    assertThrows(InvalidPrivacyParameterException.class,
        () -> new DistributedDpParameters(10, 1.0, 0.01, 1.0, 4, 3, 32));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> new DistributedDpParameters(10, Double.NaN, 0.01, 1.0, 3, 3, 32));
    assertEquals(Arrays.asList(1), Arrays.asList(f.maxWeight()));
  }
}
