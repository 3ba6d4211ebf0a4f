package io.fedlora.crypto.secagg;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519KeyPair;
import io.fedlora.crypto.MaskPrg;
import io.fedlora.crypto.MaskPrg.MaskTerm;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.encoding.EncodingParameters;
import io.fedlora.crypto.encoding.QuantizedEncoder;
import io.fedlora.crypto.internal.AesCtrKeystream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Runs a whole SecAgg+ round for N simulated clients in one process, through the wire encoding,
 * with a fraction of clients going silent at a random stage, and measures it. Clients are processed
 * one at a time and their vectors are dropped as soon as the server has added them, so memory stays
 * at a few vectors whatever N is.
 *
 * <p>Timing: {@code client_ms} is the median, over clients whose input reached the sum, of one
 * client's own work (key generation and agreement, signing and verifying, sharing and encrypting,
 * encoding, masking, serialising). {@code server_ms} is all server work (parsing, validation,
 * routing, accumulation, reconstruction, unmasking) plus decoding. {@code prg_floor_ms} =
 * (k+1)·4·P bytes at the raw JCE AES-256-CTR keystream rate measured in the same run after warm-up.
 * An untimed round of {@value #WARM_UP_CLIENTS} clients runs first, to warm up the JIT ({@link
 * #benchmark} adds an untimed full-size round).
 */
public final class SecAggSimulation {

  /** Size of the untimed warm-up round (a complete graph at δ = 0.1, γ = 0.05). */
  private static final int WARM_UP_CLIENTS = 32;
  private static final int WARM_UP_PARAMS = 1 << 16;

  private SecAggSimulation() {}

  /** What to simulate. */
  public record Options(int clients, int params, double dropout, double corruptFraction, long seed,
      int clientThreads) {
    public Options(int clients, int params, double dropout, double corruptFraction, long seed) {
      this(clients, params, dropout, corruptFraction, seed, 1);
    }

    public Options {
      if (clientThreads < 1) {
        throw new IllegalArgumentException("clientThreads must be >= 1");
      }
      if (clients < 3) {
        throw new IllegalArgumentException("need at least 3 clients");
      }
      if (params < 1) {
        throw new IllegalArgumentException("params must be positive");
      }
      if (!(dropout >= 0 && dropout < 1)) {
        throw new IllegalArgumentException("dropout must be in [0,1)");
      }
    }

    public static Options of(int clients, int params, double dropout) {
      return new Options(clients, params, dropout, 0.05, System.nanoTime());
    }
  }

  /** Measurements of one simulated round. */
  public record Result(
      int clients,
      int params,
      double dropout,
      int neighbours,
      int threshold,
      double clientMs,
      double serverMs,
      long uploadBytesPerClient,
      long rawBytesPerClient,
      boolean correct,
      double prgFloorMs,
      double aesCtrGbPerSecond,
      double prgExpandGbPerSecond,
      int contributors,
      int droppedClients,
      String aborted,
      int clientThreads,
      double clientMsOneThread,
      double serverFloorMs,
      double serverMsOneThread) {

    /** With the same round's figures on one thread per client and for the server. */
    Result withOneThreadBaseline(Result oneThread) {
      return new Result(clients, params, dropout, neighbours, threshold, clientMs, serverMs,
          uploadBytesPerClient, rawBytesPerClient, correct, prgFloorMs, aesCtrGbPerSecond,
          prgExpandGbPerSecond, contributors, droppedClients, aborted, clientThreads, oneThread.clientMs(),
          serverFloorMs, oneThread.serverMs());
    }

    public String toJson() {
      return String.format(Locale.ROOT,
          "{\"clients\":%d,\"params\":%d,\"dropout\":%s,\"neighbours\":%d,\"threshold\":%d,"
              + "\"client_ms\":%.3f,\"server_ms\":%.3f,\"upload_bytes_per_client\":%d,"
              + "\"raw_bytes_per_client\":%d,\"correct\":%b,\"prg_floor_ms\":%.3f,"
              + "\"aes_ctr_gb_per_s\":%.3f,\"prg_expand_gb_per_s\":%.3f,\"contributors\":%d,"
              + "\"dropped\":%d,\"aborted\":%s,\"client_threads\":%d,\"client_ms_1_thread\":%.3f,"
              + "\"client_floor_ratio\":%.3f,\"client_floor_ratio_1_thread\":%.3f,"
              + "\"server_floor_ms\":%.3f,\"server_floor_ratio\":%.3f,\"server_ms_1_thread\":%.3f}",
          clients, params, dropout, neighbours, threshold, clientMs, serverMs, uploadBytesPerClient,
          rawBytesPerClient, correct, prgFloorMs, aesCtrGbPerSecond, prgExpandGbPerSecond,
          contributors, droppedClients, aborted == null ? "null" : "\"" + aborted + "\"",
          clientThreads, clientMsOneThread, clientMs / prgFloorMs, clientMsOneThread / prgFloorMs,
          serverFloorMs, serverMs / serverFloorMs, serverMsOneThread);
    }
  }

  public static Result run(int clients, int params, double dropout) {
    return run(Options.of(clients, params, dropout));
  }

  public static Result run(Options o) {
    return run(o, false);
  }

  /**
   * {@link #run(Options)} for measurements: after the small warm-up, one more untimed round of the
   * full size. The small round alone leaves C2 still compiling the curve arithmetic while the
   * first measured round runs (that round's parallel key agreement then took as long as the
   * single-thread one), which a benchmark must not report.
   */
  public static Result benchmark(Options o) {
    return run(o, true);
  }

  private static Result run(Options o, boolean fullSizeWarmUp) {
    SecureRandom secure = new SecureRandom();
    double[] speeds = measureAesCtr(secure);
    // An untimed small round first, so the JIT compiles the client path (curve arithmetic, sharing,
    // encoding, masking) before the measured round rather than during its first clients.
    simulate(new Options(WARM_UP_CLIENTS, Math.min(o.params(), WARM_UP_PARAMS), 0.1, 0.05,
        o.seed() + 1, o.clientThreads()), secure, speeds);
    if (fullSizeWarmUp) {
      simulate(new Options(o.clients(), o.params(), o.dropout(), o.corruptFraction(), o.seed() + 2,
          o.clientThreads()), secure, speeds);
    }
    Result r = simulate(o, secure, speeds);
    if (o.clientThreads() == 1) {
      return r.withOneThreadBaseline(r);
    }
    // The same round (same seed) on one thread per client, as the single-core baseline.
    Result oneThread = simulate(new Options(o.clients(), o.params(), o.dropout(), o.corruptFraction(),
        o.seed(), 1), secure, speeds);
    return r.withOneThreadBaseline(oneThread);
  }

  private static Result simulate(Options o, SecureRandom secure, double[] speeds) {
    SplittableRandom sim = new SplittableRandom(o.seed());
    int n = o.clients();
    int p = o.params();

    SecAggParameters params = SecAggParameters.builder().cohortSize(n)
        .dropoutFraction(Math.max(o.dropout(), 0.01)).corruptFraction(o.corruptFraction()).build();
    int maxWeight = 100;
    double clip = 1.0;
    double scale = Math.floor((double) Integer.MAX_VALUE / n) / (maxWeight * clip) * 0.999;
    QuantizedEncoder encoder = new QuantizedEncoder(new EncodingParameters(p, clip, scale, n, maxWeight));

    List<ClientId> cohort = new ArrayList<>(n);
    Map<ClientId, Ed25519KeyPair> identities = new HashMap<>();
    Map<ClientId, io.fedlora.crypto.Ed25519PublicKey> publicIds = new HashMap<>();
    for (int i = 0; i < n; i++) {
      ClientId id = ClientId.of(String.format("client-%05d", i));
      cohort.add(id);
      Ed25519KeyPair kp = Ed25519KeyPair.generate(secure);
      identities.put(id, kp);
      publicIds.put(id, kp.publicKey());
    }
    byte[] graphSeed = new byte[32];
    secure.nextBytes(graphSeed);
    RoundConfig config = RoundConfig.builder().roundId(new RoundId("sim-job", 1)).cohort(cohort)
        .identities(publicIds).graphSeed(Bytes.copyOf(graphSeed)).parameters(params)
        .vectorLength(p + 1).build();

    // Silent from stage s on: 1 = never advertises, 2 = no shares, 3 = no input, 4 = no unmask.
    int[] silentFrom = new int[n];
    Arrays.fill(silentFrom, Integer.MAX_VALUE);
    int drops = (int) Math.round(o.dropout() * n);
    int[] order = shuffled(n, sim);
    for (int i = 0; i < drops; i++) {
      silentFrom[order[i]] = 1 + sim.nextInt(4);
    }

    SecAggClient[] clients = new SecAggClient[n];
    // The server gets the cores a client gets: a coordinator, alone in its process, has them all.
    Stages stages = new Stages(cohort, silentFrom, SecAggServer.create(config).threads(o.clientThreads()));
    String aborted = null;
    int[] plainSum = new int[p + 1];
    boolean[] contributed = new boolean[n];
    AggregateSum result = null;
    try {
      stages.run(1, null, (i, in) -> {
        clients[i] = SecAggClient.create(config, cohort.get(i), identities.get(cohort.get(i)).privateKey(), secure)
            .threads(o.clientThreads());
        return clients[i].advertiseKeys().toBytes();
      });
      stages.run(2, stages.advance(), (i, in) -> clients[i].onKeyDirectory(KeyDirectory.parse(in)).toBytes());
      // Stage 3: one client's vectors at a time. The update is made untimed; encoding is client work.
      final class Input {
        float[] update;
        int weight;
        int[] encoded;
      }
      Input current = new Input();
      stages.run(3, stages.advance(), (i, in) -> {
        clients[i].onShareBundle(ShareBundle.parse(in));
        current.encoded = encoder.encode(current.update, current.weight, secure);
        return clients[i].maskInput(current.encoded).toBytes();
      }, i -> {
        current.update = syntheticUpdate(p, o.seed() * 31 + i);
        current.weight = 1 + sim.nextInt(maxWeight);
      }, i -> {
        for (int j = 0; j <= p; j++) {
          plainSum[j] += current.encoded[j];
        }
        contributed[i] = true;
      });
      stages.run(4, stages.advance(), (i, in) -> clients[i].onUnmaskRequest(UnmaskRequest.parse(in)).toBytes());
      result = stages.finish(encoder);
    } catch (RoundAbortedException e) {
      aborted = e.reason().name();
    }

    boolean correct = result != null && Arrays.equals(result.sum(), plainSum);
    long[] contribNanos = new long[n];
    long[] contribUpload = new long[n];
    int c = 0;
    for (int i = 0; i < n; i++) {
      if (contributed[i] && silentFrom[i] == Integer.MAX_VALUE) {
        contribNanos[c] = stages.clientNanos[i];
        contribUpload[c++] = stages.upload[i];
      }
    }
    double clientMs = median(Arrays.copyOf(contribNanos, c)) / 1e6;
    long uploadPerClient = (long) median(Arrays.copyOf(contribUpload, c));
    int contributors = 0;
    for (boolean b : contributed) {
      contributors += b ? 1 : 0;
    }
    double floorMs = (params.neighbours() + 1.0) * 4.0 * p / (speeds[0] * 1e9) * 1e3;
    double serverFloorMs = serverMaskExpansions(config, silentFrom, contributed) * 4.0 * p / (speeds[0] * 1e9) * 1e3;
    return new Result(n, p, o.dropout(), params.neighbours(), params.threshold(), clientMs,
        stages.serverNanos / 1e6, uploadPerClient, 4L * p, correct, floorMs, speeds[0], speeds[1],
        contributors, n - contributors, aborted, o.clientThreads(), Double.NaN, serverFloorMs, Double.NaN);
  }

  /**
   * The mask expansions the server cannot avoid: each contributor's self mask, and for each client
   * that shared its keys but sent no input (silent from stage 3) the pair mask it has with every
   * neighbour whose input is in the sum. Clients gone before sharing were never masked against.
   */
  static long serverMaskExpansions(RoundConfig config, int[] silentFrom, boolean[] contributed) {
    long expansions = 0;
    for (int i = 0; i < contributed.length; i++) {
      if (contributed[i]) {
        expansions++;
      } else if (silentFrom[i] == 3) {
        for (int j : config.graph().neighboursOf(i)) {
          expansions += contributed[j] ? 1 : 0;
        }
      }
    }
    return expansions;
  }

  /** One client's reply to its message of a stage ({@code in} is null in stage 1). */
  private interface ClientStep {
    byte[] reply(int client, byte[] in) throws RoundAbortedException;
  }

  /** Drives the clients through the stages in turn and splits the time between clients and server. */
  private static final class Stages {
    private final List<ClientId> cohort;
    private final int[] silentFrom;
    private final SecAggServer server;
    final long[] clientNanos;
    final long[] upload;
    long serverNanos;

    Stages(List<ClientId> cohort, int[] silentFrom, SecAggServer server) {
      this.cohort = cohort;
      this.silentFrom = silentFrom;
      this.server = server;
      this.clientNanos = new long[cohort.size()];
      this.upload = new long[cohort.size()];
    }

    void run(int stage, Map<ClientId, byte[]> outbound, ClientStep step) {
      run(stage, outbound, step, i -> { }, i -> { });
    }

    /**
     * Every client that got a message (any client in stage 1) and is not silent by this stage replies,
     * timed as client work; the server's receipt is server work. {@code prepare} runs untimed before
     * a client's step, {@code sent} after its reply reached the server.
     */
    void run(int stage, Map<ClientId, byte[]> outbound, ClientStep step, IntConsumer prepare, IntConsumer sent) {
      for (int i = 0; i < cohort.size(); i++) {
        byte[] in = outbound == null ? null : outbound.get(cohort.get(i));
        if ((outbound != null && in == null) || silentFrom[i] <= stage) {
          continue;
        }
        prepare.accept(i);
        long a = System.nanoTime();
        byte[] wire;
        try {
          wire = step.reply(i, in);
        } catch (RoundAbortedException e) {
          clientNanos[i] += System.nanoTime() - a;
          continue;
        }
        long b = System.nanoTime();
        clientNanos[i] += b - a;
        upload[i] += wire.length;
        server.receive(ClientMessage.parse(wire));
        serverNanos += System.nanoTime() - b;
        sent.accept(i);
      }
    }

    /** Closes a stage: the server's messages for the next one, serialised. */
    Map<ClientId, byte[]> advance() {
      long t0 = System.nanoTime();
      Map<ClientId, byte[]> out = new HashMap<>();
      server.advance().forEach((id, m) -> out.put(id, m.toBytes()));
      serverNanos += System.nanoTime() - t0;
      return out;
    }

    /** Unmasks and decodes the sum (server work). */
    AggregateSum finish(QuantizedEncoder encoder) {
      long t0 = System.nanoTime();
      AggregateSum sum = server.finish();
      encoder.decode(sum.sum());
      serverNanos += System.nanoTime() - t0;
      return sum;
    }
  }

  private static int[] shuffled(int n, SplittableRandom r) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** Stand-in for a trained update (not timed): uniform in ±0.01, so clipping at 1 is exercised. */
  static float[] syntheticUpdate(int p, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] u = new float[p];
    for (int i = 0; i < p; i++) {
      u[i] = (float) ((r.nextDouble() - 0.5) * 0.02);
    }
    return u;
  }

  private static double median(long[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    long[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }

  /**
   * Returns {raw AES-256-CTR keystream GB/s, PRG expand-and-add GB/s}, best of several runs after
   * a warm-up (JCE AES-CTR is ~10x slower before the JIT compiles its intrinsic).
   */
  static double[] measureAesCtr(SecureRandom random) {
    byte[] key = new byte[32];
    random.nextBytes(key);
    AesCtrKeystream ks = new AesCtrKeystream(key);
    byte[] buf = new byte[16 * 1024];
    int[] target = new int[1 << 20];
    List<MaskTerm> terms = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      terms.add(MaskTerm.plus(SecretBytes.random(32, random)));
    }
    double bestRaw = 0;
    double bestPrg = 0;
    for (int rep = 0; rep < 12; rep++) {
      long bytes = 64L << 20;
      long t0 = System.nanoTime();
      for (long done = 0; done < bytes; done += buf.length) {
        ks.next(buf, buf.length);
      }
      long t1 = System.nanoTime();
      MaskPrg.accumulate(terms, target);
      long t2 = System.nanoTime();
      if (rep >= 4) {
        bestRaw = Math.max(bestRaw, bytes / ((t1 - t0) / 1e9) / 1e9);
        bestPrg = Math.max(bestPrg, terms.size() * 4.0 * target.length / ((t2 - t1) / 1e9) / 1e9);
      }
    }
    return new double[] {bestRaw, bestPrg};
  }

  /** {@code --clients N --params P --dropout F [--corrupt G] [--seed S] [--json]}. */
  public static void main(String[] args) {
    int clients = 100;
    int params = 1_000_000;
    double dropout = 0.1;
    double corrupt = 0.05;
    long seed = System.nanoTime();
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--clients" -> clients = Integer.parseInt(args[++i]);
        case "--params" -> params = Integer.parseInt(args[++i]);
        case "--dropout" -> dropout = Double.parseDouble(args[++i]);
        case "--corrupt" -> corrupt = Double.parseDouble(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--json" -> json = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Result r = run(new Options(clients, params, dropout, corrupt, seed));
    System.out.println(json ? r.toJson() : r.toString());
  }
}
