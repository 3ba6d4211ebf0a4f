package io.fedlora.crypto.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DistributedDiscreteGaussianAccountantTest {

  @Test
  void tauFollowsTheDefinition() {
    assertEquals(0.0, DistributedDiscreteGaussianParameters.of(1, 1.0, 10, 1.0).tau(), 0.0);
    // n = 2: tau = 10 e^{-2 pi^2 sigma^2 / 2} = 10 e^{-pi^2 sigma^2}.
    assertEquals(10 * Math.exp(-Math.PI * Math.PI),
        DistributedDiscreteGaussianParameters.of(2, 1.0, 10, 1.0).tau(), 1e-15);
    // Grows with n, shrinks very fast with sigma.
    assertTrue(DistributedDiscreteGaussianParameters.of(100, 1.0, 10, 1.0).tau()
        > DistributedDiscreteGaussianParameters.of(10, 1.0, 10, 1.0).tau());
    assertTrue(DistributedDiscreteGaussianParameters.of(100, 3.0, 10, 1.0).tau() < 1e-30);
  }

  @Test
  void largeNoiseReducesToTheContinuousGaussianOfTheSum() {
    // KLS21: with tau ~ 0 the sum of n N_Z(0, s^2) behaves as N(0, n s^2): RDP = alpha D^2/(2 n s^2).
    DistributedDiscreteGaussianParameters p =
        DistributedDiscreteGaussianParameters.of(50, 20.0, 100_000, 1000.0);
    for (double alpha : new double[] {2, 10, 64}) {
      assertEquals(alpha * 1e6 / (2 * 50 * 400.0), p.rdp(alpha), 1e-9);
    }
    double eps = DistributedDiscreteGaussianAccountant.roundEpsilon(p, 1e-5);
    double gauss = RdpAccountant.create().compose(1.0, Math.sqrt(50) * 20.0 / 1000.0, 1).epsilon(1e-5);
    assertEquals(gauss, eps, 1e-9);
  }

  @Test
  void smallNoiseIsChargedForTheCorrectionTerm() {
    DistributedDiscreteGaussianParameters p =
        DistributedDiscreteGaussianParameters.of(100, 0.5, 1000, 10.0);
    double continuous = 2 * 100.0 / (2 * 100 * 0.25);
    assertTrue(p.rdp(2) > continuous, "tau term adds privacy loss");
  }

  @Test
  void reportsPerRoundAndCumulative() {
    DistributedDiscreteGaussianParameters a = DistributedDiscreteGaussianParameters.of(20, 4.0, 1000, 40.0);
    DistributedDiscreteGaussianParameters b = DistributedDiscreteGaussianParameters.of(10, 4.0, 1000, 40.0);
    DistributedDiscreteGaussianAccountant acc = DistributedDiscreteGaussianAccountant.create()
        .composeRounds(a, 3).composeRounds(b, 1);
    List<DistributedDiscreteGaussianAccountant.RoundPrivacy> report = acc.report(1e-5);
    assertEquals(4, report.size());
    assertEquals(report.get(0).roundEpsilon(), report.get(1).roundEpsilon(), 0.0);
    assertTrue(report.get(3).roundEpsilon() > report.get(0).roundEpsilon(), "fewer survivors");
    for (int i = 1; i < 4; i++) {
      assertTrue(report.get(i).cumulativeEpsilon() > report.get(i - 1).cumulativeEpsilon());
    }
    assertEquals(acc.epsilon(1e-5), report.get(3).cumulativeEpsilon(), 0.0);
    assertEquals(DistributedDiscreteGaussianAccountant.roundEpsilon(a, 1e-5),
        report.get(0).cumulativeEpsilon(), 1e-12);
    assertEquals(1e-5, acc.delta(acc.epsilon(1e-5)), 1e-10);
  }

  @Test
  void rejectsBadParameters() {
    assertThrows(InvalidPrivacyParameterException.class,
        () -> DistributedDiscreteGaussianParameters.of(0, 1.0, 10, 1.0));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> DistributedDiscreteGaussianParameters.of(5, 0.4, 10, 1.0));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> DistributedDiscreteGaussianParameters.of(5, 1.0, 0, 1.0));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> DistributedDiscreteGaussianParameters.of(5, 1.0, 10, Double.NaN));
    assertThrows(InvalidPrivacyParameterException.class,
        () -> DistributedDiscreteGaussianAccountant.create()
            .composeRounds(DistributedDiscreteGaussianParameters.of(5, 1.0, 10, 1.0), 0));
  }
}
