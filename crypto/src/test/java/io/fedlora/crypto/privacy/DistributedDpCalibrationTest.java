package io.fedlora.crypto.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DistributedDpCalibrationTest {

  private static final DistributedDpCalibration.Target EPS8 = new DistributedDpCalibration.Target(8, 1e-5, 5);

  @Test
  void theCalibratedNoiseMeetsTheTargetAndNoLessWould() {
    DistributedDpParameters p = DistributedDpCalibration.calibrate(EPS8, 6144, 2.0, 4, 4, 32);
    assertEquals(8192, p.paddedDimension());
    double eps = DistributedDpCalibration.epsilon(EPS8, p);
    assertTrue(eps <= 8, "epsilon " + eps);
    assertTrue(eps > 8 * (1 - 1e-4), "not much more noise than needed: epsilon " + eps);
    DistributedDpParameters less = DistributedDpCalibration.at(p.clientNoiseStddev() * 0.999, 6144, 2.0, 4, 4, 32);
    assertTrue(DistributedDpCalibration.epsilon(EPS8, less) > 8, "0.1% less noise misses the target");
  }

  @Test
  void with32BitWordsTheSumsNoiseIsTheContinuousGaussians() {
    // The continuous Gaussian mechanism, 5 compositions: the sampled Gaussian at q = 1.
    double z = NoiseCalibration.noiseMultiplier(1.0, 5, 1e-5, 8, AccountantKind.RDP);
    for (int n : new int[] {2, 4, 10}) {
      DistributedDpParameters p = DistributedDpCalibration.calibrate(EPS8, 6144, 2.0, n, n, 32);
      double central = p.clientNoiseStddev() * Math.sqrt(n) / 2.0;
      assertEquals(z, central, 0.01 * z, "sigma * sqrt(n) / c for n = " + n);
      assertTrue(p.granularity() < 1e-6 * p.clipNorm(), "granularity " + p.granularity());
      assertTrue(p.l2Bound() < p.clipNorm() / p.granularity() * (1 + 1e-3), "rounding slack is negligible");
    }
  }

  @Test
  void moreRoundsOrASmallerEpsilonNeedMoreNoise() {
    double base = DistributedDpCalibration.calibrate(EPS8, 1000, 1.0, 4, 4, 32).clientNoiseStddev();
    double rounds = DistributedDpCalibration.calibrate(new DistributedDpCalibration.Target(8, 1e-5, 20), 1000,
        1.0, 4, 4, 32).clientNoiseStddev();
    double eps = DistributedDpCalibration.calibrate(new DistributedDpCalibration.Target(2, 1e-5, 5), 1000,
        1.0, 4, 4, 32).clientNoiseStddev();
    assertTrue(rounds > base && eps > base, base + " " + rounds + " " + eps);
  }

  @Test
  void narrowWordsGetACoarserGranularityAndStillMeetTheTarget() {
    DistributedDpParameters p = DistributedDpCalibration.calibrate(EPS8, 1000, 1.0, 4, 10, 16);
    assertTrue(DistributedDpCalibration.epsilon(EPS8, p) <= 8);
    assertTrue(p.granularity() > 1e-4, "granularity " + p.granularity());
  }

  @Test
  void badTargetsNameTheParameter() {
    assertMessage("target epsilon", () -> new DistributedDpCalibration.Target(0, 1e-5, 5));
    assertMessage("target epsilon", () -> new DistributedDpCalibration.Target(Double.NaN, 1e-5, 5));
    assertMessage("target epsilon", () -> new DistributedDpCalibration.Target(Double.POSITIVE_INFINITY, 1e-5, 5));
    assertMessage("delta", () -> new DistributedDpCalibration.Target(8, 0, 5));
    assertMessage("delta", () -> new DistributedDpCalibration.Target(8, 1, 5));
    assertMessage("rounds", () -> new DistributedDpCalibration.Target(8, 1e-5, 0));
    assertMessage("clipNorm", () -> DistributedDpCalibration.calibrate(EPS8, 100, 0, 4, 4, 32));
    assertMessage("clipNorm", () -> DistributedDpCalibration.calibrate(EPS8, 100, Double.NaN, 4, 4, 32));
    assertMessage("noiseClients", () -> DistributedDpCalibration.calibrate(EPS8, 100, 1, 0, 4, 32));
  }

  private static void assertMessage(String text, Runnable r) {
    var e = assertThrows(InvalidPrivacyParameterException.class, r::run);
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }
}
