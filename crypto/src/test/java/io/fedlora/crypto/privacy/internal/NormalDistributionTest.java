package io.fedlora.crypto.privacy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NormalDistributionTest {

  // Reference values of erfc from standard tables (Abramowitz & Stegun Table 7.1 and its
  // high-precision recomputations; e.g. erfc(1) = 0.157299207050285130658...).
  @Test
  void erfcMatchesTabulatedValues() {
    assertRelative(1.0, NormalDistribution.erfc(0.0), 1e-15);
    assertRelative(0.4795001221869534623, NormalDistribution.erfc(0.5), 1e-14);
    assertRelative(0.1572992070502851307, NormalDistribution.erfc(1.0), 1e-14);
    assertRelative(4.677734981047265838e-3, NormalDistribution.erfc(2.0), 1e-13);
    assertRelative(2.209049699858544137e-5, NormalDistribution.erfc(3.0), 1e-13);
    assertRelative(2.088487583762544757e-45, NormalDistribution.erfc(10.0), 1e-13);
    assertRelative(1.842700792949714869, NormalDistribution.erfc(-1.0), 1e-15);
  }

  @Test
  void logErfcStaysFiniteFarInTheTail() {
    // log erfc(x) = -x^2 - log(x sqrt(pi)) + log(1 - 1/(2x^2) + 3/(4x^4) - ...) for large x.
    double x = 100.0;
    double asymptotic = -x * x - Math.log(x * Math.sqrt(Math.PI))
        + Math.log1p(-1 / (2 * x * x) + 3 / (4 * Math.pow(x, 4)));
    assertEquals(asymptotic, NormalDistribution.logErfc(x), 1e-9);
    assertRelative(Math.log(NormalDistribution.erfc(10.0)), NormalDistribution.logErfc(10.0), 1e-14);
  }

  @Test
  void normalTailsAreComplementary() {
    for (double z = -8; z <= 8; z += 0.25) {
      assertEquals(1.0, NormalDistribution.cdf(z) + NormalDistribution.sf(z), 1e-15);
    }
    assertRelative(0.15865525393145705, NormalDistribution.sf(1.0), 1e-13);
  }

  private static void assertRelative(double expected, double actual, double rel) {
    assertEquals(expected, actual, Math.abs(expected) * rel, () -> "expected " + expected);
  }
}
