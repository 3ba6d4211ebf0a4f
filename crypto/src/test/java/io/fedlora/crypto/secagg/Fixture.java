package io.fedlora.crypto.secagg;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.SecretBytes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** An in-process round: one server, n clients, messages carried as bytes. */
final class Fixture {
  static final RoundId ROUND = new RoundId("job-test", 3);

  final RoundConfig config;
  final SecAggServer server;
  final SecAggClient[] clients;
  final int[][] inputs;
  final int n;
  Map<ClientId, ServerMessage> outbox = Map.of();

  static Ed25519PrivateKey identity(int i) {
    byte[] seed = new byte[32];
    seed[0] = (byte) i;
    seed[1] = (byte) (i >>> 8);
    seed[31] = 0x5a;
    return Ed25519PrivateKey.fromSeed(SecretBytes.copyOf(seed));
  }

  static ClientId id(int i) {
    return ClientId.of(String.format("c%03d", i));
  }

  static RoundConfig config(int n, SecAggParameters p, int len, byte graphSeed) {
    return config(ROUND, n, p, len, graphSeed);
  }

  static RoundConfig config(RoundId round, int n, SecAggParameters p, int len, byte graphSeed) {
    List<ClientId> cohort = new ArrayList<>();
    Map<ClientId, Ed25519PublicKey> ids = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      cohort.add(id(i));
      ids.put(id(i), identity(i).publicKey());
    }
    byte[] gs = new byte[32];
    Arrays.fill(gs, graphSeed);
    return RoundConfig.builder().roundId(round).cohort(cohort).identities(ids)
        .graphSeed(Bytes.copyOf(gs)).parameters(p).vectorLength(len).build();
  }

  Fixture(int n, SecAggParameters p, int len, long seed) {
    this(config(n, p, len, (byte) seed), seed);
  }

  Fixture(RoundConfig config, long seed) {
    this.config = config;
    this.n = config.cohort().size();
    this.server = SecAggServer.create(config);
    this.clients = new SecAggClient[n];
    this.inputs = new int[n][];
    Random r = new Random(seed);
    SecureRandom secure = new SecureRandom();
    for (int i = 0; i < n; i++) {
      clients[i] = SecAggClient.create(config, id(i), identity(i), secure);
      inputs[i] = r.ints(config.vectorLength()).toArray();
    }
  }

  static SecAggParameters params(int n, int k, int t) {
    return SecAggParameters.builder().cohortSize(n).explicit(k, t).build();
  }

  /** Sends {@code m} as bytes to the server. */
  void send(ClientMessage m) {
    server.receive(ClientMessage.parse(m.toBytes()));
  }

  ServerMessage inbox(int i) {
    ServerMessage m = outbox.get(id(i));
    return m == null ? null : ServerMessage.parse(m.toBytes());
  }

  void advance() {
    outbox = server.advance();
  }

  /**
   * Runs the whole round; client i is silent from stage silentFrom[i] on (1..4; 5 = never).
   * Returns the expected sum over clients whose input reached the server.
   */
  int[] runAll(int[] silentFrom) {
    int[] expected = new int[config.vectorLength()];
    for (int i = 0; i < n; i++) {
      if (silentFrom[i] > 1) {
        send(clients[i].advertiseKeys());
      }
    }
    advance();
    for (int i = 0; i < n; i++) {
      ServerMessage m = inbox(i);
      if (m != null && silentFrom[i] > 2) {
        try {
          send(clients[i].onKeyDirectory((KeyDirectory) m));
        } catch (RoundAbortedException refused) {
          // client refuses: it simply drops out
        }
      }
    }
    advance();
    for (int i = 0; i < n; i++) {
      ServerMessage m = inbox(i);
      if (m != null && silentFrom[i] > 3) {
        try {
          clients[i].onShareBundle((ShareBundle) m);
          send(clients[i].maskInput(inputs[i]));
          for (int j = 0; j < expected.length; j++) {
            expected[j] += inputs[i][j];
          }
        } catch (RoundAbortedException refused) {
          // drops out
        }
      }
    }
    advance();
    for (int i = 0; i < n; i++) {
      ServerMessage m = inbox(i);
      if (m != null && silentFrom[i] > 4) {
        try {
          send(clients[i].onUnmaskRequest((UnmaskRequest) m));
        } catch (RoundAbortedException refused) {
          // drops out
        }
      }
    }
    return expected;
  }
}
