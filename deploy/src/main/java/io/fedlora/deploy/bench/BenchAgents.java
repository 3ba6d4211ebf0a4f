package io.fedlora.deploy.bench;

import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.deploy.local.LocalFederation;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The benchmark's client side: {@code n} real {@link AgentNode}s in this JVM, each enrolled over the
 * network with its own one-time token (token + CSR round trips, as a real node's first start) and
 * then on its own mutual-TLS channel, with a {@link RandomDeltaTrainer} seeded by its index. Node
 * {@code i}'s seed is {@code seed + i}. The encoded (not yet masked) vectors are summed here as they
 * are made, per round, so that the coordinator's unmasked sum can be checked exactly without keeping
 * any client's vector.
 */
final class BenchAgents implements AutoCloseable {

    static final String MODEL_SHA = "be".repeat(32);
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(60);

    private final List<AgentNode> agents = new ArrayList<>();
    private final long seed;
    final AtomicInteger trained = new AtomicInteger();
    final AtomicInteger masked = new AtomicInteger();
    /** By "job/round". */
    private final Map<String, int[]> encodedSums = new HashMap<>();
    private final Map<String, Integer> encodedCounts = new HashMap<>();

    private BenchAgents(long seed) {
        this.seed = seed;
    }

    /** Enrols and starts {@code n} agents, {@code threads} at a time; returns once all are started. */
    static BenchAgents enrolAndStart(LocalFederation fed, Path dir, int n, long seed, int threads, PrintStream progress)
            throws Exception {
        BenchAgents a = new BenchAgents(seed);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        var admin = fed.openAdminChannel();
        try {
            var trust = TrustAdminServiceGrpc.newBlockingStub(admin);
            AtomicInteger done = new AtomicInteger();
            List<Future<AgentNode>> started = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                started.add(pool.submit(() -> {
                    String name = String.format(Locale.ROOT, "bench-%05d", index);
                    EnrollmentToken token = EnrollmentToken.of(trust.createEnrollmentToken(CreateEnrollmentTokenRequest
                            .newBuilder().setName(name).setRole("agent").setTtlSeconds(3600).build()).getToken());
                    AgentConfig config = AgentConfig.builder(fed.address(), dir.resolve(name), name, MODEL_SHA)
                            .numExamples(1)
                            // Alone in its process an agent gives SecAgg+ every core; a thousand in one
                            // JVM sharing the common pool spin in its joins instead (seen: most CPU time).
                            .secAggThreads(1)
                            // A thousand agents and the coordinator share two cores here: an agent thread
                            // not scheduled for 20 s (the default) says nothing about the coordinator.
                            .heartbeatTimeout(HEARTBEAT_TIMEOUT)
                            .enrollWith(token, fed.caCertificate())
                            .encodedUpdateListener((job, round, encoded) -> a.addEncoded(job, round, encoded))
                            .build();
                    AgentNode node = AgentNode.start(config, new RandomDeltaTrainer(seed + index, a.trained));
                    int k = done.incrementAndGet();
                    if (k % Math.max(1, n / 10) == 0 || k == n) {
                        progress.printf(Locale.ROOT, "  enrolled %d/%d%n", k, n);
                    }
                    return node;
                }));
            }
            for (Future<AgentNode> f : started) {
                a.agents.add(f.get());
            }
            return a;
        } catch (Exception e) {
            a.close();
            throw e;
        } finally {
            pool.shutdownNow();
            admin.shutdownNow();
        }
    }

    /** Waits until every agent's Connect stream is open; false on timeout. */
    boolean awaitAllConnected(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (AgentNode a : agents) {
            if (!a.awaitConnected(Duration.ofNanos(Math.max(1, end - System.nanoTime())))) {
                return false;
            }
        }
        return true;
    }

    int connected() {
        return (int) agents.stream().filter(AgentNode::isConnected).count();
    }

    /** Node id to the seed of its trainer. */
    Map<String, Long> seedsByNodeId() {
        Map<String, Long> m = new HashMap<>();
        for (int i = 0; i < agents.size(); i++) {
            m.put(agents.get(i).nodeId(), seed + i);
        }
        return m;
    }

    private synchronized void addEncoded(String job, int round, int[] encoded) {
        String key = job + "/" + round;
        int[] sum = encodedSums.computeIfAbsent(key, k -> new int[encoded.length]);
        for (int i = 0; i < encoded.length; i++) {
            sum[i] += encoded[i]; // mod 2^32, as the masked sum is
        }
        encodedCounts.merge(key, 1, Integer::sum);
        masked.incrementAndGet();
    }

    /** Σ of the round's encoded vectors (mod 2^32), and how many were summed. */
    synchronized int[] encodedSum(String job, int round) {
        return encodedSums.get(job + "/" + round);
    }

    synchronized int encodedCount(String job, int round) {
        return encodedCounts.getOrDefault(job + "/" + round, 0);
    }

    /** Closes every agent, a few at a time (each waits for its channel). */
    @Override
    public void close() throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        agents.forEach(a -> pool.execute(a::close));
        pool.shutdown();
        pool.awaitTermination(2, TimeUnit.MINUTES);
    }
}
