package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fedlora.crypto.Bytes;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A client decrypting the shares its neighbours dealt it, as routed by an untrusted server. For
 * any share bundle the client either stops with a typed error (a bundle that breaks the protocol:
 * {@link InvalidServerMessageException}; too few dealers: {@link RoundAbortedException}) or goes on
 * having rejected exactly the dealers whose ciphertext is not the one they sent (AES-GCM
 * authenticates dealer, recipient and round). Seed: the genuine bundle of {@link DealtRound}.
 */
class ShareBundleFuzzTest {
  private static final DealtRound ROUND = DealtRound.create();

  @FuzzTest
  void onShareBundle(byte[] bytes) {
    ShareBundle bundle;
    try {
      bundle = ShareBundle.parse(bytes);
    } catch (MalformedMessageException notABundle) {
      return;
    }
    SecAggClient client = ROUND.recipientAtStage2();
    boolean forUs = bundle.roundId().equals(ROUND.config.roundId())
        && bundle.recipient().equals(client.id());
    boolean distinctPeers = distinctPeers(bundle);
    try {
      client.onShareBundle(bundle);
    } catch (InvalidServerMessageException refused) {
      assertTrue(!forUs || !distinctPeers, refused::toString);
      assertEquals(ClientStage.ABORTED, client.stage());
      return;
    } catch (RoundAbortedException tooFew) {
      assertTrue(forUs && distinctPeers && bundle.shares().size() < ROUND.config.threshold());
      assertEquals(ClientStage.ABORTED, client.stage());
      return;
    }
    assertTrue(forUs && distinctPeers, "accepted a bundle that breaks the protocol");
    Set<ClientId> tampered = new LinkedHashSet<>();
    for (RoutedShare s : bundle.shares()) {
      if (!s.ciphertext().equals(ROUND.genuine.get(s.dealer()))) {
        tampered.add(s.dealer());
      }
    }
    assertEquals(tampered, client.rejectedPeers(), "rejected exactly the tampered shares");
    assertEquals(ClientStage.READY_TO_MASK, client.stage());
    assertEquals(bundle.shares().size(), client.maskPeers().size());
  }

  /** The seed goes stale if keys, encryption or wire format change; then regenerate it from ROUND. */
  @Test
  void seedIsTheGenuineBundle() throws IOException {
    try (InputStream in = getClass().getResourceAsStream(
        "ShareBundleFuzzTestInputs/onShareBundle/genuine_bundle")) {
      assertArrayEquals(ROUND.bundle.toBytes(), in.readAllBytes());
    }
  }

  private static boolean distinctPeers(ShareBundle bundle) {
    Set<ClientId> seen = new HashSet<>();
    for (RoutedShare s : bundle.shares()) {
      if (!seen.add(s.dealer()) || !ROUND.genuine.containsKey(s.dealer())) {
        return false;
      }
    }
    return true;
  }

  /** A 5-client round (k = 4, t = 2) run to the end of stage 2 with seeded randomness. */
  static final class DealtRound {
    final RoundConfig config;
    final KeyDirectory directory;
    final ShareBundle bundle;
    final Map<ClientId, Bytes> genuine = new LinkedHashMap<>();

    private DealtRound(RoundConfig config, KeyDirectory directory, ShareBundle bundle) {
      this.config = config;
      this.directory = directory;
      this.bundle = bundle;
      bundle.shares().forEach(s -> genuine.put(s.dealer(), s.ciphertext()));
    }

    static DealtRound create() {
      RoundConfig config = Fixture.config(5, Fixture.params(5, 4, 2), 7, (byte) 1);
      SecAggServer server = SecAggServer.create(config);
      SecAggClient[] clients = new SecAggClient[5];
      for (int i = 0; i < 5; i++) {
        clients[i] = client(config, i);
        server.receive(clients[i].advertiseKeys());
      }
      Map<ClientId, ServerMessage> directories = server.advance();
      for (int i = 0; i < 5; i++) {
        server.receive(clients[i].onKeyDirectory((KeyDirectory) directories.get(Fixture.id(i))));
      }
      Map<ClientId, ServerMessage> bundles = server.advance();
      return new DealtRound(config, (KeyDirectory) directories.get(Fixture.id(0)),
          (ShareBundle) bundles.get(Fixture.id(0)));
    }

    private static SecAggClient client(RoundConfig config, int i) {
      return SecAggClient.create(config, Fixture.id(i), Fixture.identity(i), SeededRandom.of(i));
    }

    /** Client 0 again, with the same keys, waiting for its share bundle. */
    SecAggClient recipientAtStage2() {
      SecAggClient c = client(config, 0);
      c.advertiseKeys();
      c.onKeyDirectory(directory);
      return c;
    }
  }
}
