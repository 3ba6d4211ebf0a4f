package io.fedlora.crypto.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReleaseCompositionTest {

  private static final SampledGaussianSteps STEPS = new SampledGaussianSteps(0.05, 1.1, 200);
  private static final DistributedDiscreteGaussianParameters ROUND =
      DistributedDiscreteGaussianParameters.of(10, 5e6, 4096, 1e7);

  @Test
  void eachKindAloneIsItsOwnAccountant() {
    assertEquals(0, ReleaseComposition.epsilon(List.of(), List.of(), 1e-5));
    assertEquals(RdpAccountant.create().compose(STEPS).compose(STEPS).epsilon(1e-5),
        ReleaseComposition.epsilon(List.of(STEPS, STEPS), List.of(), 1e-5), 1e-12);
    assertEquals(DistributedDiscreteGaussianAccountant.create().composeRounds(ROUND, 3).epsilon(1e-5),
        ReleaseComposition.epsilon(List.of(), List.of(ROUND, ROUND, ROUND), 1e-5), 1e-12);
  }

  @Test
  void mixingCostsMoreThanEitherAndNoMoreThanTheirSum() {
    double records = ReleaseComposition.epsilon(List.of(STEPS), List.of(), 1e-5);
    double clients = ReleaseComposition.epsilon(List.of(), List.of(ROUND), 1e-5);
    double both = ReleaseComposition.epsilon(List.of(STEPS), List.of(ROUND), 1e-5);
    assertTrue(both > Math.max(records, clients), both + " vs " + records + ", " + clients);
    // RDP composition is tighter than adding epsilons (the deltas are not added up either).
    assertTrue(both < records + clients, both + " vs " + (records + clients));
  }

  @Test
  void deltaIsChecked() {
    assertThrows(IllegalArgumentException.class, () -> ReleaseComposition.epsilon(List.of(STEPS), List.of(), 0));
    assertThrows(IllegalArgumentException.class, () -> ReleaseComposition.epsilon(List.of(STEPS), List.of(), 1));
  }
}
