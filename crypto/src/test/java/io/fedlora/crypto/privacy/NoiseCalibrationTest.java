package io.fedlora.crypto.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NoiseCalibrationTest {

  // Opacus opacus/tests/accountants_test.py::test_get_noise_multiplier_rdp_epochs / _steps:
  // eps 8, delta 1e-5, q 0.04, 90 epochs (2250 steps) -> 1.416; 2000 steps -> 1.3562 (4 places).
  // Opacus stops its bisection once eps is within 0.01 below the target, so its sigma may be a
  // little larger than the smallest one; ours must not exceed it and must hit the target.
  @Test
  void reproducesOpacusCalibration() {
    double s1 = NoiseCalibration.noiseMultiplier(0.04, 2250, 1e-5, 8.0, AccountantKind.RDP);
    assertTrue(s1 <= 1.416 + 5e-5 && s1 >= 1.414, "sigma " + s1);
    double s2 = NoiseCalibration.noiseMultiplier(0.04, 2000, 1e-5, 8.0, AccountantKind.RDP);
    assertEquals(1.3562, s2, 5e-5);
    double opacusEps = RdpAccountant.withOrders(RdpOrders.tfPrivacy()).compose(0.04, 1.416, 2250)
        .epsilon(1e-5);
    assertTrue(opacusEps <= 8.0 && opacusEps >= 7.99, "eps at Opacus' sigma " + opacusEps);
  }

  @Test
  void rdpCalibrationInvertsEpsilon() {
    double q = 256.0 / 60000;
    double sigma = NoiseCalibration.noiseMultiplier(q, 14063, 1e-5, 3.0, AccountantKind.RDP);
    double eps = RdpAccountant.create().compose(q, sigma, 14063).epsilon(1e-5);
    assertTrue(eps <= 3.0, "meets target");
    double below = RdpAccountant.create().compose(q, sigma * (1 - 2e-4), 14063).epsilon(1e-5);
    assertTrue(below > 3.0, "smallest to 2e-4 relative");
    assertEquals(3.0, eps, 3e-3);
  }

  @Test
  void prvCalibrationNeedsNoMoreNoiseThanRdp() {
    double q = 0.01;
    long steps = 1000;
    double rdp = NoiseCalibration.noiseMultiplier(q, steps, 1e-5, 2.0, AccountantKind.RDP);
    double prv = NoiseCalibration.noiseMultiplier(q, steps, 1e-5, 2.0, AccountantKind.PRV, 1e-3);
    assertTrue(prv <= rdp && prv > 0.8 * rdp, prv + " vs " + rdp);
    assertTrue(PldAccountant.create().compose(q, prv, steps).epsilon(1e-5) <= 2.0);
    assertTrue(PldAccountant.create().compose(q, prv * (1 - 2e-3), steps).epsilon(1e-5) > 2.0);
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(InvalidPrivacyParameterException.class,
        () -> NoiseCalibration.noiseMultiplier(0.01, 100, 1e-5, 0.0, AccountantKind.RDP));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> NoiseCalibration.noiseMultiplier(0.01, 100, 1e-5, 1.0, null));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> NoiseCalibration.noiseMultiplier(0.01, 100, 1e-5, 1.0, AccountantKind.RDP, 0.1));
  }
}
