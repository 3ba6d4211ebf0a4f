package io.fedlora.crypto.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class DiscreteGaussianSamplerTest {

  /** Deterministic SecureRandom so a failure reproduces (SHA1PRNG seeded before first use). */
  private static SecureRandom seeded(String seed) throws NoSuchAlgorithmException {
    SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
    r.setSeed(seed.getBytes(StandardCharsets.UTF_8));
    return r;
  }

  /** Exact variance of N_Z(0, s2): sum k^2 e^{-k^2/2s2} / sum e^{-k^2/2s2} (CKS20, Sec. 2). */
  private static double theoreticalVariance(double s2) {
    double num = 0;
    double den = 1;
    for (int k = 1; k < 2000; k++) {
      double w = Math.exp(-k * (double) k / (2 * s2));
      num += 2 * k * (double) k * w;
      den += 2 * w;
    }
    return num / den;
  }

  @Test
  void meanAndVarianceMatchTheory() throws Exception {
    for (double sigma : new double[] {0.7, 3.0, 12.5}) {
      DiscreteGaussianSampler sampler = DiscreteGaussianSampler.ofSigma(sigma, seeded("dg-" + sigma));
      int n = 20_000;
      long[] xs = new long[n];
      sampler.fill(xs);
      double mean = 0;
      for (long x : xs) {
        mean += x;
      }
      mean /= n;
      double var = 0;
      double fourth = 0;
      for (long x : xs) {
        var += x * (double) x;
        fourth += Math.pow(x, 4);
      }
      var /= n;
      fourth /= n;
      double expectedVar = theoreticalVariance(sigma * sigma);
      double meanSe = Math.sqrt(expectedVar / n);
      double varSe = Math.sqrt((fourth - var * var) / n);
      assertEquals(0.0, mean, 5 * meanSe, "mean, sigma=" + sigma);
      assertEquals(expectedVar, var, 5 * varSe, "variance, sigma=" + sigma);
    }
  }

  @Test
  void smallVarianceIsBelowTheContinuousOne() {
    // For sigma = 0.7 the discrete Gaussian's variance is strictly below sigma^2 (CKS20, Cor. 9).
    assertTrue(theoreticalVariance(0.49) < 0.49);
    assertEquals(9.0, theoreticalVariance(9.0), 1e-9);
  }

  @Test
  void rationalVarianceIsExact() throws Exception {
    DiscreteGaussianSampler s =
        DiscreteGaussianSampler.ofVariance(BigInteger.valueOf(9), BigInteger.valueOf(4), seeded("r"));
    assertEquals(2.25, s.variance(), 0.0);
    assertEquals(2.25, DiscreteGaussianSampler.ofSigma(1.5, seeded("s")).variance(), 0.0);
    long[] xs = new long[1000];
    s.fill(xs);
    boolean sawNonZero = false;
    for (long x : xs) {
      sawNonZero |= x != 0;
      assertTrue(Math.abs(x) < 30);
    }
    assertTrue(sawNonZero);
  }

  @Test
  void rejectsBadParameters() throws Exception {
    SecureRandom r = seeded("x");
    assertThrows(InvalidPrivacyParameterException.class, () -> DiscreteGaussianSampler.ofSigma(0.0, r));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> DiscreteGaussianSampler.ofSigma(Double.NaN, r));
    assertThrows(InvalidPrivacyParameterException.class, () -> DiscreteGaussianSampler.ofSigma(1.0, null));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> DiscreteGaussianSampler.ofVariance(BigInteger.ONE, BigInteger.ZERO, r));
  }
}
