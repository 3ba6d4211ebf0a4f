package io.fedlora.client.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraLayouts.LlamaDims;
import io.fedlora.adapter.Sha256;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.TrainingConfig;
import io.fedlora.proto.v1.UpdateEncoding;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentNodeTest {

    static final String MODEL = "ab".repeat(32);
    /** 10 layers × (q, v) × rank 4 × 2048: 327,680 values, a 1.3 MB payload, so two chunks. */
    static final AdapterLayout LAYOUT =
            LoraLayouts.llama(new LlamaDims(10, 2048, 4096, 16, 16, 128), 4, List.of("q_proj", "v_proj"));

    /** Deterministic: the delta depends only on the round and the index. */
    static final class FakeTrainer implements LocalTrainer {
        final List<TrainRequest> requests = new CopyOnWriteArrayList<>();
        volatile boolean dp = true;

        @Override
        public boolean supportsDp() {
            return dp;
        }

        static float[] delta(int round, int n) {
            float[] d = new float[n];
            for (int i = 0; i < n; i++) {
                d[i] = (float) (round * 0.01 + (i % 13) * 1e-4);
            }
            return d;
        }

        @Override
        public TrainOutcome train(TrainRequest r) {
            requests.add(r);
            return new TrainOutcome(delta(r.round(), r.startAdapter().values().length), 42, 1.0 / r.round(), 3, 0.01);
        }

        @Override
        public void close() {}
    }

    @TempDir
    Path stateDir;

    private final String serverName = InProcessServerBuilder.generateName();
    private FakeCoordinator fake;
    private Server server;
    private ManagedChannel channel;
    private FakeTrainer trainer;
    private AgentNode agent;

    @BeforeEach
    void setUp() throws Exception {
        fake = new FakeCoordinator();
        server = InProcessServerBuilder.forName(serverName).addService(fake).build().start();
        channel = InProcessChannelBuilder.forName(serverName).build();
        trainer = new FakeTrainer();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            agent.close();
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private AgentNode startAgent() throws Exception {
        return startAgent(null);
    }

    private AgentNode startAgent(io.fedlora.client.privacy.PrivacyBudget budget) throws Exception {
        return startAgent(budget, io.opentelemetry.api.OpenTelemetry.noop());
    }

    private AgentNode startAgent(io.fedlora.client.privacy.PrivacyBudget budget, io.opentelemetry.api.OpenTelemetry otel)
            throws Exception {
        AgentConfig cfg = AgentConfig.builder("in-process:1", stateDir, "node-a", MODEL).numExamples(42).openTelemetry(otel)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).heartbeatTimeout(Duration.ofSeconds(30))
                .callTimeout(Duration.ofSeconds(10)).privacyBudget(budget)
                .insecurePlaintext(true) // this fake coordinator hands out plaintext tasks; secure rounds: deploy's SecureAggregationTest
                .build();
        AgentNode a = AgentNode.start(cfg, trainer, channel);
        assertTrue(a.awaitConnected(Duration.ofSeconds(10)));
        return a;
    }

    private static void await(String what, BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private TrainTask task(int round, String model) {
        return task(fake, round, model);
    }

    private static TrainTask task(FakeCoordinator fake, int round, String model) {
        String sha = fake.addAdapter("job", round - 1, FlatAdapter.initial(LAYOUT, 7));
        return TrainTask.newBuilder().setJobId("job").setRound(round).setAdapterVersion(round - 1).setAdapterSha256(sha)
                .setBaseModelSha256(model).setAdapterLayout(LAYOUT)
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(3).setBatchSize(2).setLearningRate(1e-3))
                .setDeadlineUnixMs(System.currentTimeMillis() + 60_000).build();
    }

    private void push(TrainTask t) {
        fake.push(agent.nodeId(), AgentEvent.newBuilder().setTrain(t).build());
    }

    @Test
    void trainsOnTaskAndUploadsTheDeltaInChunks() throws Exception {
        agent = startAgent();
        var reg = fake.registrations.get(0);
        assertEquals("", reg.getNodeId());
        assertEquals(List.of(MODEL), reg.getBaseModelSha256List());
        assertEquals(42, reg.getNumExamples());
        assertEquals(agent.nodeId(), Files.readString(stateDir.resolve("node-id")).trim());

        TrainTask t = task(1, MODEL);
        push(t);
        await("upload", () -> fake.uploads.size() == 1);
        FakeCoordinator.Upload u = fake.uploads.get(0);
        int n = (int) LoraLayouts.totalElements(LAYOUT);
        byte[] expected = FlatAdapter.toLittleEndian(FakeTrainer.delta(1, n));
        assertArrayEquals(expected, u.payload());
        assertTrue(u.chunkSizes().size() >= 2 && u.chunkSizes().stream().allMatch(s -> s <= 1 << 20), u.chunkSizes().toString());
        assertEquals(agent.nodeId(), u.header().getNodeId());
        assertEquals("job", u.header().getJobId());
        assertEquals(1, u.header().getRound());
        assertEquals(0, u.header().getBaseAdapterVersion());
        assertEquals(UpdateEncoding.UPDATE_ENCODING_PLAINTEXT_F32, u.header().getEncoding());
        assertEquals(n, u.header().getElementCount());
        assertEquals(Sha256.hex(expected), u.header().getPayloadSha256());
        assertEquals(42, u.header().getNumExamples());
        assertArrayEquals(FlatAdapter.initial(LAYOUT, 7).values(), trainer.requests.get(0).startAdapter().values());
        assertTrue(Files.exists(stateDir.resolve("adapters").resolve(t.getAdapterSha256() + ".safetensors")));

        // The same task again (as after a reconnect) is not trained twice.
        push(t);
        Thread.sleep(200);
        assertEquals(1, trainer.requests.size());
    }

    @Test
    void eachTaskHasASpanLinkedToItsRoundWithAChildPerStep() throws Exception {
        var exporter = io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
        var provider = io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(exporter)).build();
        try {
            agent = startAgent(null, io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(provider).build());
            String roundTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
            String roundSpan = "00f067aa0ba902b7";
            push(task(1, MODEL).toBuilder().setTraceparent("00-" + roundTrace + "-" + roundSpan + "-01").build());
            await("task span", () -> exporter.getFinishedSpanItems().stream().anyMatch(sp -> sp.getName().equals("fedlora.task")));

            var spans = exporter.getFinishedSpanItems();
            var task = spans.stream().filter(sp -> sp.getName().equals("fedlora.task")).findFirst().orElseThrow();
            assertEquals(1, task.getLinks().size());
            assertEquals(roundTrace, task.getLinks().get(0).getSpanContext().getTraceId());
            assertEquals(roundSpan, task.getLinks().get(0).getSpanContext().getSpanId());
            assertEquals("job", task.getAttributes().get(io.fedlora.tracing.TraceContext.JOB));
            assertEquals(1L, task.getAttributes().get(io.fedlora.tracing.TraceContext.ROUND));
            assertEquals(agent.nodeId(), task.getAttributes().get(TaskSpans.NODE));
            assertEquals("contributed", task.getAttributes().get(TaskSpans.OUTCOME));
            var steps = spans.stream().filter(sp -> sp.getParentSpanId().equals(task.getSpanId())).toList();
            assertEquals(List.of("fedlora.fetch", "fedlora.eval", "fedlora.train", "fedlora.upload"),
                    steps.stream().map(sp -> sp.getName()).toList());
            assertEquals(false, steps.get(1).getAttributes().get(
                    io.opentelemetry.api.common.AttributeKey.booleanKey("fedlora.eval.scored")), "no held-out data here");

            // A task for another model is declined, and says so on its span; a bad traceparent is no link.
            push(task(2, "f".repeat(64)).toBuilder().setTraceparent("not-a-traceparent").build());
            await("declined span", () -> exporter.getFinishedSpanItems().stream().anyMatch(sp ->
                    "declined".equals(sp.getAttributes().get(TaskSpans.OUTCOME))));
            var declined = exporter.getFinishedSpanItems().stream()
                    .filter(sp -> "declined".equals(sp.getAttributes().get(TaskSpans.OUTCOME))).findFirst().orElseThrow();
            assertEquals(List.of(), declined.getLinks());
        } finally {
            provider.close();
        }
    }

    @Test
    void secAggThreadsDefaultToEveryCoreAndMustBePositive() {
        var b = AgentConfig.builder("host:1", stateDir, "node-a", MODEL);
        assertEquals(Runtime.getRuntime().availableProcessors(), b.build().secAggThreads());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> b.secAggThreads(0).build());
        assertTrue(e.getMessage().contains("secAggThreads: must be >= 1"), e.getMessage());
    }

    @Test
    void refusesTasksForAnotherBaseModel() throws Exception {
        agent = startAgent();
        push(task(1, "cd".repeat(32)));
        Thread.sleep(300);
        assertEquals(0, trainer.requests.size());
        assertEquals(0, fake.fetches.get());
        push(task(2, MODEL));
        await("upload", () -> fake.uploads.size() == 1);
    }

    @Test
    void withABudgetItTrainsOnlyUnderDpAndDeclinesOnceTheBudgetIsSpent() throws Exception {
        agent = startAgent(new io.fedlora.client.privacy.PrivacyBudget(1.5, 8.0, 1e-5));
        push(task(1, MODEL)); // no DP: refused by this node's policy
        await("decline", () -> fake.declines.size() == 1);
        assertEquals(io.fedlora.proto.v1.DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                fake.declines.get(0).getReason());

        // q=0.05, sigma=1.5, 40 steps costs 1.29 epsilon at 1e-5 (two such rounds 1.70): the first fits a job budget of 1.5, the second not.
        push(withDp(task(2, MODEL)));
        await("upload", () -> fake.uploads.size() == 1);
        await("privacy metrics", () -> fake.metrics.size() == 1);
        double spent = fake.metrics.get(0).getMetricsOrThrow("dp_epsilon_job");
        assertTrue(spent > 0 && spent <= 1.5, "spent " + spent);

        push(withDp(task(3, MODEL)));
        await("second decline", () -> fake.declines.size() == 2);
        assertEquals(io.fedlora.proto.v1.DeclineReason.DECLINE_REASON_PRIVACY_BUDGET_EXHAUSTED,
                fake.declines.get(1).getReason());
        assertEquals(1, trainer.requests.size(), "only the DP task within budget was trained");
        assertTrue(java.nio.file.Files.exists(stateDir.resolve("privacy-ledger.json")));
    }

    @Test
    void aTrainerWithoutDpNeverTrainsADpTask() throws Exception {
        trainer.dp = false;
        agent = startAgent();
        push(withDp(task(1, MODEL)));
        await("decline", () -> fake.declines.size() == 1);
        assertEquals(io.fedlora.proto.v1.DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                fake.declines.get(0).getReason());
        assertEquals(0, trainer.requests.size());
    }

    @Test
    void declinesAClientDpRoundWhoseNoiseIsWeakerThanTheJobStates() throws Exception {
        agent = startAgent();
        io.fedlora.proto.v1.JobConfig job = io.fedlora.proto.v1.JobConfig.newBuilder().setRounds(5).setMinClients(3)
                .setAdapterLayout(LAYOUT)
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8)
                        .setAggregationMode(io.fedlora.proto.v1.AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A))
                .setSecureAggregation(io.fedlora.proto.v1.SecureAggregationConfig.newBuilder().setDropoutFraction(0.25)
                        .setDistributedDp(io.fedlora.proto.v1.DistributedDpConfig.newBuilder().setTargetEpsilon(8)
                                .setDelta(1e-5).setClipNorm(1)))
                .build();
        List<io.fedlora.proto.v1.CohortMember> cohort = new java.util.ArrayList<>();
        java.security.SecureRandom r = new java.security.SecureRandom();
        for (String id : List.of(agent.nodeId(), "peer-1", "peer-2", "peer-3")) {
            cohort.add(io.fedlora.proto.v1.CohortMember.newBuilder().setNodeId(id).setIdentityKey(
                    com.google.protobuf.ByteString.copyFrom(io.fedlora.crypto.Ed25519PrivateKey.generate(r).publicKey()
                            .toBytes())).build());
        }
        var setup = io.fedlora.rounds.SecureRoundSetup.create(job, cohort, new byte[32]);
        var weaker = setup.toBuilder().setDistributedDp(setup.getDistributedDp().toBuilder()
                .setClientNoiseStddev(setup.getDistributedDp().getClientNoiseStddev() / 2)).build();
        push(task(1, MODEL).toBuilder().setLora(job.getLora()).setSecagg(weaker).build());
        await("decline", () -> fake.declines.size() == 1);
        assertEquals(io.fedlora.proto.v1.DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                fake.declines.get(0).getReason());
        assertTrue(fake.declines.get(0).getDetail().startsWith("secagg.distributed_dp.client_noise_stddev"),
                fake.declines.get(0).getDetail());
        assertEquals(0, trainer.requests.size(), "nothing was trained for a round it refuses");
    }

    private static TrainTask withDp(TrainTask t) {
        TrainTask.Builder b = t.toBuilder();
        b.getTrainingBuilder().setLocalSteps(40).getDpBuilder().setNoiseMultiplier(1.5).setClipNorm(1)
                .setSamplingRate(0.05).setDelta(1e-5);
        return b.build();
    }

    @Test
    void keepsItsIdAndAdapterCacheAcrossAgentRestarts() throws Exception {
        agent = startAgent();
        String id = agent.nodeId();
        TrainTask t1 = task(1, MODEL);
        push(t1);
        await("first upload", () -> fake.uploads.size() == 1);
        agent.close();

        agent = startAgent();
        assertEquals(id, agent.nodeId());
        assertEquals(id, fake.registrations.get(fake.registrations.size() - 1).getNodeId());
        // Round 2 trains from the same adapter bytes: served from the cache, not downloaded again.
        TrainTask t2 = t1.toBuilder().setRound(2).build();
        push(t2);
        await("second upload", () -> fake.uploads.size() == 2);
        assertEquals(1, fake.fetches.get());
    }

    @Test
    void reconnectsAfterTheCoordinatorRestarts() throws Exception {
        agent = startAgent();
        String id = agent.nodeId();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        await("disconnect", () -> !agent.isConnected());
        Thread.sleep(300); // a few failed attempts while it is down

        fake = new FakeCoordinator();
        server = InProcessServerBuilder.forName(serverName).addService(fake).build().start();
        assertTrue(agent.awaitConnected(Duration.ofSeconds(10)), "agent did not reconnect");
        assertEquals(id, fake.registrations.get(0).getNodeId());
        push(task(1, MODEL));
        await("upload after reconnect", () -> fake.uploads.size() == 1);
    }

    private AgentConfig.Builder configFor(String coordinators) {
        return AgentConfig.builder(coordinators, stateDir, "node-a", MODEL).numExamples(42)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).heartbeatTimeout(Duration.ofSeconds(30))
                .callTimeout(Duration.ofSeconds(10)).insecurePlaintext(true);
    }

    @Test
    void followsWhicheverCoordinatorAnswers() throws Exception {
        // Two coordinator addresses, each an in-process server of its own; only b is up (a is a standby).
        List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
        java.util.function.Function<String, io.grpc.Channel> channelFor = target -> {
            ManagedChannel ch = InProcessChannelBuilder.forName(serverName + "-" + target.split(":")[0]).build();
            channels.add(ch);
            return ch;
        };
        FakeCoordinator b = new FakeCoordinator();
        Server serverB = InProcessServerBuilder.forName(serverName + "-b").addService(b).build().start();
        Server serverA = null;
        try {
            agent = AgentNode.start(configFor("a:1, b:2").build(), trainer, channelFor);
            assertTrue(agent.awaitConnected(Duration.ofSeconds(10)), "connected to b");
            assertEquals(1, b.registrations.size());
            await("b holds the stream", () -> b.streams.containsKey(agent.nodeId()));

            // b goes away and a takes over: the agent follows a, and trains there.
            serverB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            await("disconnect", () -> !agent.isConnected());
            FakeCoordinator a = new FakeCoordinator();
            serverA = InProcessServerBuilder.forName(serverName + "-a").addService(a).build().start();
            await("a holds the stream", () -> a.streams.containsKey(agent.nodeId()));
            assertTrue(agent.awaitConnected(Duration.ofSeconds(10)), "connected to a");
            assertEquals(agent.nodeId(), a.registrations.get(0).getNodeId(), "the same node id at a");
            a.push(agent.nodeId(), AgentEvent.newBuilder().setTrain(task(a, 1, MODEL)).build());
            await("upload to a", () -> a.uploads.size() == 1);
            assertEquals(0, b.uploads.size());
        } finally {
            agent.close();
            agent = null;
            for (ManagedChannel ch : channels) {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            serverB.shutdownNow();
            if (serverA != null) {
                serverA.shutdownNow();
            }
        }
    }

    @Test
    void everyCoordinatorAddressMustBeHostAndPort() {
        assertEquals(List.of("host1:7070", "host2:7070", "[::1]:7071"),
                configFor("host1:7070,host2:7070, [::1]:7071").build().coordinatorTargets());
        assertEquals(List.of("host1:7070"), configFor("host1:7070").build().coordinatorTargets());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> configFor("host1:7070,host-without-port").build());
        assertTrue(e.getMessage().contains("coordinatorTarget: 'host-without-port' is not host:port"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> configFor("host1:7070,,host2:99999").build());
        assertTrue(e.getMessage().contains("empty entry"), e.getMessage());
        assertTrue(e.getMessage().contains("'host2:99999' is not host:port"), e.getMessage());
    }

    @Test
    void closeWaitsForTheWorkerToStopAndASecondCloseDoesNothing() throws Exception {
        java.util.concurrent.CountDownLatch training = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean trainerEnded = new java.util.concurrent.atomic.AtomicBoolean();
        LocalTrainer blocking = r -> {
            training.countDown();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.sleep(300); // cleaning up after the interrupt: close must wait for this
                trainerEnded.set(true);
            }
            throw new InterruptedException("stopped");
        };
        agent = AgentNode.start(configFor("in-process:1").build(), blocking, channel);
        assertTrue(agent.awaitConnected(Duration.ofSeconds(10)));
        push(task(1, MODEL));
        assertTrue(training.await(10, TimeUnit.SECONDS), "training started");

        long start = System.nanoTime();
        agent.close();
        assertTrue(trainerEnded.get(), "close returned before the training step ended");
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
        assertTrue(!agent.isConnected());

        start = System.nanoTime();
        agent.close();
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(100), "a second close is a no-op");
        assertEquals(0, fake.uploads.size());
    }

    @Test
    void backoffGrowsAndIsCapped() {
        Backoff b = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), java.util.random.RandomGenerator.of("L64X128MixRandom"));
        for (int i = 0; i < 30; i++) {
            Duration d = b.delay(i);
            long cap = Math.min(5000, 200L << Math.min(i, 20));
            assertTrue(d.toMillis() >= cap / 2 - 1 && d.toMillis() <= cap, i + ": " + d);
        }
    }
}
