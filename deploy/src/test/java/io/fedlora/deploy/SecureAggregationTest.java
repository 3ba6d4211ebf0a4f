package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.privacy.LedgerEntry;
import io.fedlora.client.privacy.PrivacyBudget;
import io.fedlora.client.privacy.PrivacyLedger;
import io.fedlora.client.train.EvalResult;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import io.fedlora.proto.v1.UpdateUpload;
import io.fedlora.adapter.LoraLayouts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure rounds end to end, in one JVM but over a real loopback gRPC port: a coordinator and four
 * real agents (with a fast deterministic trainer instead of DJL). A server interceptor records
 * every message the coordinator receives, so the test sees exactly what the coordinator sees.
 */
@Timeout(120)
class SecureAggregationTest {

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private final List<AgentNode> agents = new ArrayList<>();
    private final Recorder inbound = new Recorder();
    /** Per "node/round": the encoded vector before masking, and the raw delta, as the node saw them. */
    private final Map<String, int[]> encoded = new ConcurrentHashMap<>();
    private final Map<String, float[]> deltas = new ConcurrentHashMap<>();
    private final Map<String, Long> weights = new ConcurrentHashMap<>();
    private final Map<String, String> nodeIdsByName = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        agents.forEach(AgentNode::close);
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theCoordinatorSeesOnlyMaskedInputsAndUnmasksTheExactSum() throws Exception {
        start(false);
        for (int i = 0; i < 4; i++) {
            agents.add(agent("node-" + i, 40 + 17 * i, new CountDownLatch(0)));
        }
        String job = server.jobs().create(secureJob(2, 4, 3)).jobId();
        server.startJob(job);
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job, Duration.ofSeconds(60)).getState());

        List<RoundSummary> rounds = server.jobs().rounds(job);
        assertEquals(2, rounds.size());
        for (RoundSummary r : rounds) {
            assertEquals(RoundState.ROUND_STATE_COMPLETED, r.getState());
            assertTrue(r.getSecureAggregation());
            assertEquals(4, r.getContributingNodesCount());
            assertEquals(3, r.getSecaggNeighbours());
            assertEquals(2, r.getSecaggThreshold());
            assertSumIsExactAndDecodesToTheWeightedMean(job, r);
            // node-3 holds no held-out data: the mean is of the other three, from inside the masked sum.
            assertEquals(List.of("f32", "nf4"), r.getBasePrecisionsList(), "what the version was trained against");
            assertTrue(r.hasEval(), "the round reports the cohort's held-out score");
            assertEquals(3, r.getEval().getNodes());
            assertEquals(r.getRound() - 1, r.getEval().getOfAdapterVersion(), "scored the version the round started from");
            assertEquals((heldOut(0, r.getRound()).exactMatch() + heldOut(1, r.getRound()).exactMatch()
                    + heldOut(2, r.getRound()).exactMatch()) / 3, r.getEval().getExactMatch(), 1e-6);
            assertEquals((heldOut(0, r.getRound()).meanLoss() + heldOut(1, r.getRound()).meanLoss()
                    + heldOut(2, r.getRound()).meanLoss()) / 3, r.getEval().getLoss(), 1e-6);
        }
        assertNoEncodedOrRawUpdateReachedTheCoordinator(job, rounds, 512 + 5);
    }

    @Test
    void clientLevelDpRoundsPublishANoisedMeanAndReportEpsilon() throws Exception {
        start(false);
        // node-0 keeps its own privacy ledger: it must charge itself what the coordinator reports.
        agents.add(agent("node-0", 40, new CountDownLatch(0), new PrivacyBudget(8.5, 20, 1e-5)));
        for (int i = 1; i < 4; i++) {
            agents.add(agent("node-" + i, 40 + 17 * i, new CountDownLatch(0)));
        }
        String job = server.jobs().create(clientDpJob(2, 4, 3)).jobId();
        server.startJob(job);
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job, Duration.ofSeconds(60)).getState());

        List<RoundSummary> rounds = server.jobs().rounds(job);
        assertEquals(2, rounds.size());
        double previous = 0;
        for (RoundSummary r : rounds) {
            assertEquals(RoundState.ROUND_STATE_COMPLETED, r.getState());
            assertEquals(4, r.getContributingNodesCount());
            assertTrue(r.hasClientDp(), "the round reports its privacy");
            var dp = r.getClientDp();
            assertEquals(3, dp.getNoiseClients(), "calibrated for min_clients = 3 (complete graph, t = 2)");
            assertEquals(8.0, dp.getTargetEpsilon());
            assertEquals(1e-5, dp.getDelta());
            assertTrue(dp.getRoundEpsilon() > 0 && dp.getRoundEpsilon() < dp.getCumulativeEpsilon() + 1e-12, dp.toString());
            assertTrue(dp.getCumulativeEpsilon() > previous, "epsilon accumulates");
            previous = dp.getCumulativeEpsilon();
            assertTrue(Double.isNaN(r.getTrainLoss()), "no loss leaves a client under client-level DP");
            assertEquals(0, r.getTotalExamples(), "every client weighs 1; no counts are sent");
            assertFalse(r.hasEval(), "no held-out score leaves a client under client-level DP");
            assertSumIsExact(r);
            assertAdapterMovedByTheNoisedMean(job, r);
        }
        assertTrue(previous <= 8.0 && previous > 7.9, "two rounds spend the job's epsilon 8: " + previous);
        assertNoEncodedOrRawUpdateReachedTheCoordinator(job, rounds, 256);

        PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("agents/node-0/privacy-ledger.json"),
                new PrivacyBudget(8.5, 20, 1e-5), java.time.InstantSource.system());
        assertEquals(2, ledger.entries().size());
        for (var e : ledger.entries()) {
            assertEquals(LedgerEntry.DISTRIBUTED_DISCRETE_GAUSSIAN, e.mechanism());
            assertEquals(3, e.clientLevel().clients(), "charged for the fewest clients whose sum may be unmasked");
        }
        assertEquals(previous, ledger.spentEpsilon(job), 1e-9, "the client's own accounting agrees with the coordinator's");
    }

    @Test
    void aClientLostWhileTrainingIsUnmaskedOutAndTooFewAbortTheRound() throws Exception {
        start(false);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 4; i++) {
            // node-3 never finishes training; it is closed mid-round like a crashed process.
            agents.add(agent("node-" + i, 30 + 11 * i, i == 3 ? release : new CountDownLatch(0)));
        }
        String job = server.jobs().create(secureJob(1, 4, 3)).jobId();
        server.startJob(job);
        awaitTraining("node-3");
        agents.get(3).close();
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job, Duration.ofSeconds(60)).getState());
        RoundSummary r = server.jobs().rounds(job).get(0);
        assertEquals(3, r.getContributingNodesCount(), "the three survivors are summed; node-3's masks are removed");
        assertFalse(r.getContributingNodesList().contains(nodeIdsByName.get("node-3")));
        assertSumIsExactAndDecodesToTheWeightedMean(job, r);

        // Two survivors of four cannot make min_clients = 3: the round aborts with a reason, nothing is published.
        String second = server.jobs().create(secureJob(1, 4, 3)).jobId();
        CountDownLatch never = new CountDownLatch(1);
        List<AgentNode> fresh = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fresh.add(agent("late-" + i, 20, i < 2 ? never : new CountDownLatch(0)));
        }
        agents.addAll(fresh);
        agents.get(0).close();
        agents.get(1).close();
        agents.get(2).close();
        // Start only once the coordinator has seen the old nodes go and the new ones come: under load it
        // could otherwise select closed nodes still listed as connected.
        java.util.Set<String> freshIds = new java.util.TreeSet<>();
        for (int i = 0; i < 4; i++) {
            freshIds.add(nodeIdsByName.get("late-" + i));
        }
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!server.connectedNodeIds().equals(freshIds) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertEquals(freshIds, server.connectedNodeIds(), "connected nodes before the second job");
        server.startJob(second);
        awaitTraining("late-0");
        awaitTraining("late-1");
        fresh.get(0).close();
        fresh.get(1).close();
        RoundSummary aborted = awaitRound(second, RoundState.ROUND_STATE_ABORTED);
        assertTrue(aborted.getAbortReason().startsWith("secure aggregation: only 2 of 4 selected nodes sent a masked"),
                aborted.getAbortReason());
        assertEquals(0, server.jobs().get(second).latestVersion());
        never.countDown();
        release.countDown();
    }

    @Test
    void badSecAggMessagesGetTypedStatusesAndChangeNothing() throws Exception {
        start(false);
        CountDownLatch hold = new CountDownLatch(1);
        for (int i = 0; i < 4; i++) {
            agents.add(agent("node-" + i, 25, hold));
        }
        String job = server.jobs().create(secureJob(1, 4, 3)).jobId();
        server.startJob(job);
        for (int i = 0; i < 4; i++) {
            awaitTraining("node-" + i);
        }
        int round = server.jobs().rounds(job).get(0).getRound();
        String n0 = nodeIdsByName.get("node-0");
        String n1 = nodeIdsByName.get("node-1");
        ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create()).build();
        try {
            var stub = AgentServiceGrpc.newBlockingStub(ch);
            SecAggEnvelope.Builder e = SecAggEnvelope.newBuilder().setNodeId(n0).setJobId(job).setRound(round);
            assertStatus(Status.Code.INVALID_ARGUMENT, "not a SecAgg+ client message",
                    () -> stub.sendSecAgg(e.clone().setMessage(ByteString.copyFromUtf8("garbage")).build()));
            assertStatus(Status.Code.FAILED_PRECONDITION, "is not the open round",
                    () -> stub.sendSecAgg(e.clone().setRound(round + 7).setMessage(ByteString.copyFromUtf8("x")).build()));
            assertStatus(Status.Code.NOT_FOUND, "no registered node",
                    () -> stub.sendSecAgg(e.clone().setNodeId("intruder").setMessage(ByteString.copyFromUtf8("x")).build()));
            // A plaintext update to a secure job is refused before any payload is read.
            UpdateHeader plain = UpdateHeader.newBuilder().setNodeId(n1).setJobId(job).setRound(round)
                    .setEncoding(UpdateEncoding.UPDATE_ENCODING_PLAINTEXT_F32).setElementCount(512).setNumExamples(5)
                    .setPayloadSha256("00".repeat(32)).build();
            assertStatus(Status.Code.INVALID_ARGUMENT, "encoding: job " + job + " takes UPDATE_ENCODING_SECAGG_MASKED",
                    () -> upload(ch, plain));
        } finally {
            ch.shutdownNow();
        }
        hold.countDown();
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job, Duration.ofSeconds(60)).getState());
        RoundSummary r = server.jobs().rounds(job).get(0);
        assertEquals(4, r.getContributingNodesCount(), "refused calls did not drop anyone");
        assertSumIsExactAndDecodesToTheWeightedMean(job, r);
    }

    @Test
    void secureByDefaultOnBothSides() throws Exception {
        start(false);
        JobConfig plaintext = secureJob(1, 4, 3).toBuilder().clearSecureAggregation().build();
        var refused = assertThrows(RuntimeException.class, () -> server.jobs().create(plaintext));
        assertTrue(refused.getMessage().contains("secure_aggregation: required"), refused.getMessage());
        server.close();

        // A development coordinator may run a plaintext job, but agents still refuse to send in the clear.
        start(true);
        for (int i = 0; i < 3; i++) {
            agents.add(agent("node-" + i, 10, new CountDownLatch(0)));
        }
        String job = server.jobs().create(plaintext.toBuilder().setMinClients(3).setClientsPerRound(3).build()).jobId();
        server.startJob(job);
        RoundSummary r = awaitRound(job, RoundState.ROUND_STATE_ABORTED);
        assertTrue(r.getAbortReason().startsWith("only 0 of 3 selected nodes contributed"), r.getAbortReason());
        assertTrue(inbound.messages().stream().noneMatch(m -> m instanceof UpdateUpload), "no update was sent");
    }

    // ---- the checks ----

    /** Σ encoded (mod 2^32) hashes to what the coordinator unmasked. */
    private void assertSumIsExact(RoundSummary r) {
        int[] sum = null;
        for (String node : r.getContributingNodesList()) {
            int[] e = encoded.get(node + "/" + r.getRound());
            if (sum == null) {
                sum = new int[e.length];
            }
            for (int i = 0; i < e.length; i++) {
                sum[i] += e[i];
            }
        }
        assertEquals(Sha256.hex(toLe(sum)), r.getAggregateSumSha256(),
                "the coordinator's unmasked sum is exactly the sum of the contributors' encoded (noised) updates");
    }

    /**
     * Frozen A did not move at all; B moved by the unweighted mean of the deltas plus noise whose
     * spread is the calibrated sigma·√n / n per coordinate (a statistical check with a generous bound).
     */
    private void assertAdapterMovedByTheNoisedMean(String job, RoundSummary r) throws Exception {
        var layout = server.jobs().get(job).config().getAdapterLayout();
        float[] before = adapter(job, r.getAdapterVersion() - 1);
        float[] after = adapter(job, r.getAdapterVersion());
        int n = r.getContributingNodesCount();
        double[] mean = new double[before.length];
        for (String node : r.getContributingNodesList()) {
            float[] d = deltas.get(node + "/" + r.getRound());
            for (int i = 0; i < d.length; i++) {
                mean[i] += d[i] / (double) n;
            }
        }
        double sum = 0;
        double sq = 0;
        int count = 0;
        int offset = 0;
        for (var t : layout.getTensorsList()) {
            int size = (int) (t.getShape(0) * t.getShape(1));
            for (int i = offset; i < offset + size; i++) {
                if (LoraLayouts.isLoraA(t)) {
                    assertEquals(before[i], after[i], 0.0, "frozen A stays exactly as it was");
                } else {
                    double err = after[i] - (double) before[i] - mean[i];
                    sum += err;
                    sq += err * err;
                    count++;
                }
            }
            offset += size;
        }
        double expected = r.getClientDp().getClientNoiseStddev() * Math.sqrt(n) / n;
        double std = Math.sqrt(sq / count);
        assertEquals(expected, std, 0.25 * expected, "noise in the published mean has the calibrated spread");
        assertEquals(0, sum / count, 4 * expected / Math.sqrt(count), "and is centred");
    }

    /** Σ encoded (mod 2^32) hashes to what the coordinator unmasked; the adapter moved by its decoded mean. */
    private void assertSumIsExactAndDecodesToTheWeightedMean(String job, RoundSummary r) throws Exception {
        int[] sum = null;
        double[] weighted = null;
        long total = 0;
        for (String node : r.getContributingNodesList()) {
            int[] e = encoded.get(node + "/" + r.getRound());
            float[] d = deltas.get(node + "/" + r.getRound());
            long w = weights.get(node + "/" + r.getRound());
            if (sum == null) {
                sum = new int[e.length];
                weighted = new double[d.length];
            }
            for (int i = 0; i < e.length; i++) {
                sum[i] += e[i];
            }
            for (int i = 0; i < d.length; i++) {
                weighted[i] += w * (double) d[i];
            }
            total += w;
        }
        ByteBuffer le = ByteBuffer.allocate(sum.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        le.asIntBuffer().put(sum);
        assertEquals(Sha256.hex(le.array()), r.getAggregateSumSha256(),
                "the coordinator's unmasked sum is exactly the sum of the contributors' encoded updates");
        assertEquals(total, r.getTotalExamples());
        float[] before = adapter(job, r.getAdapterVersion() - 1);
        float[] after = adapter(job, r.getAdapterVersion());
        double maxErr = 0;
        for (int i = 0; i < before.length; i++) {
            maxErr = Math.max(maxErr, Math.abs((after[i] - (double) before[i]) - weighted[i] / total));
        }
        // Stochastic rounding at scale ~5e4 per unit weight, then float32 storage.
        assertTrue(maxErr < 1e-5, "decoded mean differs from the weighted mean by " + maxErr);
        assertEquals(0.5, r.getTrainLoss(), 1e-3, "weighted mean loss, decoded from the sum");
    }

    /**
     * No 16-byte run of any client's encoded vector, or of its raw delta, appears in anything the
     * coordinator received or stored — while the masked inputs of the same length did arrive.
     */
    private void assertNoEncodedOrRawUpdateReachedTheCoordinator(String job, List<RoundSummary> rounds, int vector)
            throws Exception {
        List<byte[]> hay = new ArrayList<>();
        long received = 0;
        for (MessageLite m : inbound.messages()) {
            byte[] b = m.toByteArray();
            hay.add(b);
            received += b.length;
        }
        try (var files = Files.walk(dir.resolve("coordinator"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                hay.add(Files.readAllBytes(f));
            }
        }
        assertTrue(received > 2L * 4 * 4 * vector, "masked inputs arrived: " + received + " bytes");
        Set<Window> needles = new HashSet<>();
        for (RoundSummary r : rounds) {
            for (String node : r.getContributingNodesList()) {
                needles.addAll(Window.allNonZero(toLe(encoded.get(node + "/" + r.getRound()))));
                needles.addAll(Window.allNonZero(FlatAdapter.toLittleEndian(deltas.get(node + "/" + r.getRound()))));
            }
        }
        assertTrue(needles.size() > 1000, "needles: " + needles.size());
        for (byte[] h : hay) {
            ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i + 16 <= h.length; i++) {
                assertFalse(needles.contains(new Window(b.getLong(i), b.getLong(i + 8))),
                        "a client's unmasked update appears in what the coordinator received or stored");
            }
        }
    }

    /** 16 bytes at a 4-byte-aligned offset whose four words are all non-zero (zeros match anything). */
    private record Window(long a, long b) {
        static List<Window> allNonZero(byte[] le) {
            ByteBuffer b = ByteBuffer.wrap(le).order(ByteOrder.LITTLE_ENDIAN);
            List<Window> out = new ArrayList<>();
            for (int i = 0; i + 16 <= le.length; i += 4) {
                if (b.getInt(i) != 0 && b.getInt(i + 4) != 0 && b.getInt(i + 8) != 0 && b.getInt(i + 12) != 0) {
                    out.add(new Window(b.getLong(i), b.getLong(i + 8)));
                }
            }
            return out;
        }
    }

    private static byte[] toLe(int[] words) {
        ByteBuffer b = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(words);
        return b.array();
    }

    // ---- set-up ----

    private void start(boolean insecurePlaintext) throws Exception {
        CoordinatorConfig.Builder config = TinyFederation.quickRounds(CoordinatorConfig.builder(dir.resolve("coordinator")));
        server = CoordinatorServer.start(config.insecurePlaintext(insecurePlaintext).insecureTransport(true).build(),
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
                        .intercept(inbound));
    }

    private final Set<String> training = ConcurrentHashMap.newKeySet();

    private AgentNode agent(String name, long examples, CountDownLatch finishTraining) throws Exception {
        return agent(name, examples, finishTraining, null);
    }

    private AgentNode agent(String name, long examples, CountDownLatch finishTraining, PrivacyBudget budget)
            throws Exception {
        LocalTrainer trainer = new LocalTrainer() {
            @Override
            public TrainOutcome train(TrainRequest req) throws Exception {
                training.add(name);
                finishTraining.await();
                String node = nodeIdsByName.get(name);
                float[] d = TinyFederation.delta(req, name);
                deltas.put(node + "/" + req.round(), d);
                weights.put(node + "/" + req.round(), examples);
                return new TrainOutcome(d.clone(), examples, 0.5, 1, 0.01);
            }

            @Override
            public String basePrecision() {
                return name.endsWith("0") || name.endsWith("1") ? "nf4" : "f32"; // QLoRA members beside F32 ones
            }

            @Override
            public java.util.Optional<EvalResult> evaluate(TrainRequest req) {
                int i = Integer.parseInt(name.substring(name.indexOf('-') + 1));
                return i == 3 ? java.util.Optional.empty() : java.util.Optional.of(heldOut(i, req.round()));
            }
        };
        AgentConfig config = TinyFederation.agentConfig(server.port(), dir, name)
                .numExamples(examples)
                .insecureTransport(true)
                .privacyBudget(budget)
                .encodedUpdateListener((jobId, round, words) -> encoded.put(nodeIdsByName.get(name) + "/" + round,
                        words.clone()))
                .build();
        AgentNode a = TinyFederation.startConnected(config, trainer);
        nodeIdsByName.put(name, a.nodeId());
        return a;
    }

    /** What node-i reports as its held-out score in a round. */
    private static EvalResult heldOut(int i, int round) {
        return new EvalResult(0.1 * (i + 1) + 0.05 * round, 0, 20, 2.0 - 0.25 * i, 100, 0);
    }

    private JobConfig secureJob(int rounds, int perRound, int min) {
        return TinyFederation.secureJob("secure", rounds, perRound, min).build();
    }

    /** The secure job with client-level DP: epsilon 8 at delta 1e-5 over the job, clip 10 (above the deltas' norms). */
    private JobConfig clientDpJob(int rounds, int perRound, int min) {
        JobConfig.Builder b = secureJob(rounds, perRound, min).toBuilder();
        b.getSecureAggregationBuilder().clearClipNorm().clearMaxWeight().getDistributedDpBuilder().setTargetEpsilon(8)
                .setDelta(1e-5).setClipNorm(10);
        return b.build();
    }

    private float[] adapter(String job, int version) throws Exception {
        var layout = server.jobs().get(job).config().getAdapterLayout();
        return FlatAdapter.fromSafetensors(layout, server.jobs().adapter(job, version).data()).values();
    }

    private void awaitTraining(String name) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!training.contains(name)) {
            assertTrue(System.nanoTime() < end, name + " started training");
            Thread.sleep(10);
        }
    }

    private RoundSummary awaitRound(String job, RoundState state) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            for (RoundSummary r : server.jobs().rounds(job)) {
                if (r.getState() == state) {
                    return r;
                }
            }
            assertTrue(System.nanoTime() < end, "a round of job " + job + " reached " + state);
            Thread.sleep(20);
        }
    }

    private static void assertStatus(Status.Code code, String text, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(String.valueOf(e.getStatus().getDescription()).contains(text), e.getStatus().toString());
    }

    private static void upload(ManagedChannel ch, UpdateHeader header) {
        var done = new java.util.concurrent.CompletableFuture<Void>();
        StreamObserver<UpdateUpload> req = AgentServiceGrpc.newStub(ch).submitUpdate(new StreamObserver<>() {
            @Override
            public void onNext(io.fedlora.proto.v1.SubmitUpdateResponse v) {}

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        req.onNext(UpdateUpload.newBuilder().setHeader(header).build());
        req.onCompleted();
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (StatusRuntimeException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Keeps every request message the coordinator's services receive. */
    private static final class Recorder implements ServerInterceptor {
        private final List<MessageLite> received = Collections.synchronizedList(new ArrayList<>());

        List<MessageLite> messages() {
            synchronized (received) {
                return List.copyOf(received);
            }
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onMessage(Q message) {
                    if (message instanceof MessageLite m) {
                        received.add(m);
                    }
                    super.onMessage(message);
                }
            };
        }
    }
}
