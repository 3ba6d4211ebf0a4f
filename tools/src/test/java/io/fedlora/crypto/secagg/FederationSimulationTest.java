package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.SecretBytes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FederationSimulationTest {

  /** A round config as crypto's test Fixture.config builds it (that fixture stays in crypto's tests). */
  private static RoundConfig config(int n, SecAggParameters p, int len, byte graphSeed) {
    List<ClientId> cohort = new ArrayList<>();
    Map<ClientId, Ed25519PublicKey> ids = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      ClientId id = ClientId.of(String.format("c%03d", i));
      byte[] seed = new byte[32];
      seed[0] = (byte) i;
      seed[1] = (byte) (i >>> 8);
      seed[31] = 0x5a;
      cohort.add(id);
      ids.put(id, Ed25519PrivateKey.fromSeed(SecretBytes.copyOf(seed)).publicKey());
    }
    byte[] gs = new byte[32];
    Arrays.fill(gs, graphSeed);
    return RoundConfig.builder().roundId(new RoundId("job-test", 3)).cohort(cohort).identities(ids)
        .graphSeed(Bytes.copyOf(gs)).parameters(p).vectorLength(len).build();
  }

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
  void theServerFloorCountsSelfMasksAndTheStageThreeDropoutsPairMasksWithContributors() {
    SecAggParameters p = SecAggParameters.builder().cohortSize(6).dropoutFraction(0.17).corruptFraction(0).build();
    RoundConfig config = config(6, p, 10, (byte) 3);
    assertEquals(5, p.neighbours(), "a complete graph at n = 6");
    // Client 0 never advertised (not masked against), client 1 shared but sent no input, 2..5 contributed.
    int[] silentFrom = {1, 3, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 4};
    boolean[] contributed = {false, false, true, true, true, true};
    // 4 self masks, and client 1's pair masks with the 4 contributors.
    assertEquals(4 + 4, SecAggSimulation.serverMaskExpansions(config, silentFrom, contributed));
    SecAggSimulation.Result r = SecAggSimulation.run(new SecAggSimulation.Options(40, 4_000, 0.1, 0.05, 5));
    assertTrue(r.serverFloorMs() > 0 && r.toJson().contains("\"server_floor_ratio\":"), r.toJson());
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
