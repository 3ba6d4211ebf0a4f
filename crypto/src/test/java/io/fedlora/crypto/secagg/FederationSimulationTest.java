package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FederationSimulationTest {

  @Test
  void twoHundredClientsWithTenPercentDropoutsAtRandomStages() {
    SecAggSimulation.Result r = SecAggSimulation.run(new SecAggSimulation.Options(200, 20_000, 0.1, 0.05, 42, 3));
    assertNull(r.aborted());
    assertTrue(r.correct(), r.toJson());
    assertEquals(200, r.clients());
    // 20 go silent; those silent only at unmask still contribute (their seed is rebuilt).
    assertTrue(r.contributors() >= 180 && r.contributors() < 200, r.toJson());
    assertTrue(r.neighbours() < 199, "sparse graph expected for n=200: " + r.toJson());
    assertTrue(r.contributors() >= r.threshold());
    assertTrue(r.toJson().contains("\"correct\":true"));
  }

  @Test
  void benchmarkSizeRunsWhenAsked() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("fedlora.bench"),
        "set -Dfedlora.bench=true to run N=100, P=1e6");
    SecAggSimulation.Result r = SecAggSimulation.run(new SecAggSimulation.Options(100, 1_000_000, 0.1, 0.05, 7));
    System.out.println(r.toJson());
    assertTrue(r.correct());
  }
}
