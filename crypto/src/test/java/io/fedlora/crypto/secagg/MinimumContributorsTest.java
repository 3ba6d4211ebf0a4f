package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.InvalidParametersException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A round can promise that no sum with fewer than m contributors is ever unmasked (client-level
 * DP calibrates its noise for m clients): the server aborts below m and, in a complete graph, so
 * does every client on its own, even if the server does not.
 */
class MinimumContributorsTest {

  private static RoundConfig config(int n, SecAggParameters p, int minimum) {
    List<ClientId> cohort = new ArrayList<>();
    Map<ClientId, Ed25519PublicKey> ids = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      cohort.add(Fixture.id(i));
      ids.put(Fixture.id(i), Fixture.identity(i).publicKey());
    }
    return RoundConfig.builder().roundId(Fixture.ROUND).cohort(cohort).identities(ids)
        .graphSeed(Bytes.copyOf(new byte[32])).parameters(p).vectorLength(8)
        .minimumContributors(minimum).build();
  }

  @Test
  void theServerAbortsBelowTheMinimum() {
    Fixture f = new Fixture(config(5, Fixture.params(5, 4, 3), 5), 1);
    assertEquals(5, f.config.minimumContributors());
    // Client 4 goes silent before sending its masked input: 4 >= t but < 5.
    RoundAbortedException e = assertThrows(RoundAbortedException.class, () -> f.runAll(new int[] {5, 5, 5, 5, 3}));
    assertEquals(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, e.reason());
    assertTrue(e.getMessage().contains("at least 5"), e.getMessage());
  }

  @Test
  void eachClientRefusesToUnmaskASumBelowTheMinimumEvenIfTheServerWouldGoOn() {
    SecAggParameters p = Fixture.params(5, 4, 3);
    SecAggServer server = SecAggServer.create(config(5, p, 0)); // a server that does not check
    RoundConfig strict = config(5, p, 5);
    SecAggClient[] clients = new SecAggClient[5];
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 5; i++) {
      clients[i] = SecAggClient.create(strict, Fixture.id(i), Fixture.identity(i), random);
      server.receive(clients[i].advertiseKeys());
    }
    Map<ClientId, ServerMessage> out = server.advance();
    for (int i = 0; i < 5; i++) {
      server.receive(clients[i].onKeyDirectory((KeyDirectory) out.get(Fixture.id(i))));
    }
    out = server.advance();
    for (int i = 0; i < 4; i++) {
      clients[i].onShareBundle((ShareBundle) out.get(Fixture.id(i)));
      server.receive(clients[i].maskInput(new int[8]));
    }
    out = server.advance();
    UnmaskRequest request = (UnmaskRequest) out.get(Fixture.id(0));
    RoundAbortedException e = assertThrows(RoundAbortedException.class, () -> clients[0].onUnmaskRequest(request));
    assertEquals(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, e.reason());
    assertEquals(ClientStage.ABORTED, clients[0].stage());
  }

  @Test
  void aMinimumAboveTheThresholdNeedsACompleteGraph() {
    SecAggParameters sparse = Fixture.params(10, 4, 3);
    var e = assertThrows(InvalidParametersException.class, () -> config(10, sparse, 5));
    assertTrue(e.getMessage().contains("needs a complete graph"), e.getMessage());
    assertEquals(3, config(10, sparse, 3).minimumContributors());
    assertEquals(3, config(10, sparse, 0).minimumContributors(), "never below t");
    assertThrows(InvalidParametersException.class, () -> config(5, Fixture.params(5, 4, 3), 6));
  }
}
