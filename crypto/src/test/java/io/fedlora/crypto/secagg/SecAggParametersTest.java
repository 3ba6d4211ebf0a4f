package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.InvalidParametersException;
import org.junit.jupiter.api.Test;

class SecAggParametersTest {

  @Test
  void smallCohortsUseTheCompleteGraph() {
    SecAggParameters p = SecAggParameters.builder().cohortSize(10).build();
    assertTrue(p.completeGraph());
    assertEquals(9, p.neighbours());
    assertEquals((9 + 1) / 2 + 1, p.threshold()); // c* = ⌈0.05·10⌉ = 1
  }

  @Test
  void largeCohortsGetSparseGraphsThatSatisfyTheBounds() {
    for (int n : new int[] {200, 1000, 10_000}) {
      for (double gamma : new double[] {0, 0.05}) {
        SecAggParameters p = SecAggParameters.builder().cohortSize(n).dropoutFraction(0.1)
            .corruptFraction(gamma).build();
        int k = p.neighbours();
        int t = p.threshold();
        assertTrue(!p.completeGraph() && k % 2 == 0 && k < n - 1, "n=" + n + " k=" + k);
        double epsS = Math.pow(2, -40) / n;
        double epsC = Math.pow(2, -20) / n;
        int cStar = 2 * t - k - 1; // largest c with 2t > k + c
        assertTrue(SecAggParameters.upperTail(k, gamma, cStar + 1) <= epsS, "security n=" + n);
        assertTrue(SecAggParameters.upperTail(k, 0.1 + gamma, k - t + 1) <= epsC, "correctness n=" + n);
        assertTrue(2 * t > k, "honest majority of shares");
      }
    }
  }

  @Test
  void binomialTailIsRight() {
    assertEquals(1.0, SecAggParameters.upperTail(10, 0.3, 0), 1e-12);
    assertEquals(Math.pow(0.5, 10), SecAggParameters.upperTail(10, 0.5, 10), 1e-15);
    assertEquals(1 - Math.pow(0.9, 5), SecAggParameters.upperTail(5, 0.1, 1), 1e-12);
  }

  @Test
  void infeasibleConfigurationsAreRejectedWithAReason() {
    InvalidParametersException e = assertThrows(InvalidParametersException.class,
        () -> SecAggParameters.builder().cohortSize(5).dropoutFraction(0.5).corruptFraction(0.3).build());
    assertTrue(e.getMessage().contains("cannot tolerate"), e.getMessage());
    InvalidParametersException many = assertThrows(InvalidParametersException.class,
        () -> SecAggParameters.builder().cohortSize(1).dropoutFraction(1.5).build());
    assertTrue(many.getMessage().contains("cohortSize") && many.getMessage().contains("dropoutFraction"));
    assertThrows(InvalidParametersException.class,
        () -> SecAggParameters.builder().cohortSize(10).explicit(3, 2).build()); // odd sparse degree
  }

  @Test
  void graphIsRegularSymmetricAndSeedDependent() {
    SecAggParameters p = SecAggParameters.builder().cohortSize(300).build();
    RoundConfig a = Fixture.config(300, p, 1, (byte) 1);
    RoundConfig b = Fixture.config(300, p, 1, (byte) 2);
    boolean differs = false;
    for (int i = 0; i < 300; i++) {
      int[] nb = a.graph().neighboursOf(i);
      assertEquals(p.neighbours(), nb.length);
      for (int j : nb) {
        assertTrue(j != i && a.graph().areNeighbours(j, i));
      }
      differs |= !java.util.Arrays.equals(nb, b.graph().neighboursOf(i));
    }
    assertTrue(differs);
  }
}
