package io.fedlora.crypto.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.privacy.internal.NormalDistribution;
import org.junit.jupiter.api.Test;

class PldAccountantTest {

  // dp_accounting pld_privacy_accountant_test.py::test_gaussian_basic: Gaussian sigma = sqrt(3)
  // composed 1 + 2 times is a Gaussian with sigma 1, delta(1) = 0.126936 (tolerance 1e-3 there).
  // Exact: Phi(-0.5) - e Phi(-1.5) (Balle & Wang 2018, Thm. 8).
  @Test
  void composedGaussianMatchesClosedForm() {
    PldAccountant acc = PldAccountant.create()
        .compose(1.0, Math.sqrt(3), 1).compose(1.0, Math.sqrt(3), 2);
    double exact = NormalDistribution.cdf(-0.5) - Math.E * NormalDistribution.cdf(-1.5);
    assertEquals(0.126936, exact, 1e-6);
    double delta = acc.delta(1.0);
    assertTrue(delta >= exact - 1e-12, "upper bound");
    assertEquals(exact, delta, 1e-5);
    assertEquals(1.0, acc.epsilon(exact), 1e-4);
  }

  // dp_accounting test_poisson_subsampled_gaussian / test_self_composed_subsampled_gaussian:
  // q = 0.2, sigma = 0.5, 3 steps (add-or-remove): delta(1) = 0.15594, tolerance 1e-3.
  @Test
  void matchesDpAccountingSubsampledGaussian() {
    PldAccountant acc = PldAccountant.create().compose(0.2, 0.5, 1).compose(0.2, 0.5, 2);
    assertEquals(0.15594, acc.delta(1.0), 1e-4);
    assertEquals(1.0, acc.epsilon(0.15594), 1e-3);
    PldAccountant self = PldAccountant.create().compose(0.2, 0.5, 3);
    assertEquals(acc.delta(1.0), self.delta(1.0), 1e-9);
  }

  // Microsoft prv_accountant values as recorded in Opacus opacus/tests/prv_accountant.py
  // (sigma, q, steps) -> eps at delta = 1e-6. Opacus' PRVAccountant.get_epsilon returns the upper
  // end of its estimate with the default eps_error = 0.01, so the true epsilon lies in
  // [value - ~0.02, value]; ours (a near-exact upper bound) must sit just below, ~0.01 under it.
  @Test
  void agreesWithPublishedPrvAccountantValues() {
    double[][] cases = {
      {0.8, 0.001, 100, 0.270403364058018680360362395731},
      {2.0, 0.2, 100, 5.67205560882372950004537415225},
      {1.5, 0.05, 1000, 6.20996924657726712126759593957},
      {0.8, 0.001, 20000, 1.29600925757016161021795142005},
      {3.0, 0.05, 20000, 13.9611146992367061159256991232},
      {1.5, 0.001, 100000, 1.01528807502760787251361307426},
    };
    StringBuilder failures = new StringBuilder();
    for (double[] c : cases) {
      double eps = PldAccountant.create().compose(c[1], c[0], (long) c[2]).epsilon(1e-6);
      if (!(eps <= c[3] && eps >= c[3] - 0.0125)) {
        failures.append(String.format("(sigma=%s,q=%s,T=%s): %.6f vs %.6f%n", c[0], c[1], c[2], eps, c[3]));
      }
    }
    assertTrue(failures.length() == 0, failures::toString);
  }

  @Test
  void isTighterThanRdpByATypicalMarginForDpSgd() {
    double q = 256.0 / 60000;
    PldAccountant pld = PldAccountant.create().compose(q, 1.1, 14063);
    double rdp = RdpAccountant.create().compose(q, 1.1, 14063).epsilon(1e-5);
    double prv = pld.epsilon(1e-5);
    assertTrue(prv <= rdp, prv + " vs " + rdp);
    assertTrue(prv >= 0.8 * rdp, prv + " vs " + rdp);
    double[][] settings = {{0.01, 1.0, 1000}, {0.001, 0.8, 20000}, {0.05, 2.0, 500}};
    for (double[] s : settings) {
      double p = PldAccountant.create().compose(s[0], s[1], (long) s[2]).epsilon(1e-5);
      double r = RdpAccountant.create().compose(s[0], s[1], (long) s[2]).epsilon(1e-5);
      assertTrue(p <= r && p >= 0.7 * r, java.util.Arrays.toString(s) + ": " + p + " vs " + r);
    }
  }

  @Test
  void halvingTheGridChangesEpsilonBarely() {
    PldAccountant coarse = PldAccountant.create().compose(0.01, 1.0, 2000);
    PldAccountant fine = PldAccountant.create(new PldDiscretisation(5e-5, 1e-15, 1 << 22))
        .compose(0.01, 1.0, 2000);
    double c = coarse.epsilon(1e-5);
    double f = fine.epsilon(1e-5);
    assertTrue(f <= c + 1e-9, "finer grid is at least as tight");
    assertEquals(c, f, 1e-3 * c);
  }

  @Test
  void heterogeneousCompositionEqualsItsPiecesInAnyOrder() {
    PldAccountant ab = PldAccountant.create().compose(0.01, 1.0, 300).compose(0.05, 2.0, 200);
    PldAccountant ba = PldAccountant.create().compose(0.05, 2.0, 200).compose(0.01, 1.0, 300);
    PldAccountant split = PldAccountant.create().compose(0.01, 1.0, 100).compose(0.05, 2.0, 200)
        .compose(0.01, 1.0, 200);
    double e = ab.epsilon(1e-5);
    assertEquals(e, ba.epsilon(1e-5), 1e-9);
    assertEquals(e, split.epsilon(1e-5), 1e-9);
    assertTrue(e > PldAccountant.create().compose(0.01, 1.0, 300).epsilon(1e-5));
    assertTrue(e > PldAccountant.create().compose(0.05, 2.0, 200).epsilon(1e-5));
  }

  @Test
  void monotoneInStepsAndNoise() {
    double a = PldAccountant.create().compose(0.01, 1.0, 100).epsilon(1e-5);
    double b = PldAccountant.create().compose(0.01, 1.0, 1000).epsilon(1e-5);
    double c = PldAccountant.create().compose(0.01, 1.5, 1000).epsilon(1e-5);
    assertTrue(a < b && c < b);
  }

  @Test
  void deltaAndEpsilonAreConsistent() {
    PldAccountant acc = PldAccountant.create().compose(0.02, 0.9, 800);
    double eps = acc.epsilon(1e-5);
    assertEquals(1e-5, acc.delta(eps), 1e-9);
    assertEquals(0.0, PldAccountant.create().epsilon(1e-5));
  }
}
