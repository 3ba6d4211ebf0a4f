package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Fixtures.ManualClock;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.SimulatedClient.Behaviour;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The round loop against many simulated clients in one JVM, over the in-memory transport. */
class RoundLoopTest {

    @TempDir
    Path dir;

    private Store store;
    private Jobs jobs;
    private ConnectedNodes nodes;
    private RoundScheduler scheduler;
    private final ExecutorService clientThreads = Executors.newFixedThreadPool(4);
    private final List<SimulatedClient> clients = new ArrayList<>();

    private void startCoordinator(InstantSource clock, Duration retryDelay) {
        store = DatabaseSettings.embedded(dir).open();
        FileBlobStore blobs = new FileBlobStore(dir.resolve("blobs"));
        jobs = new Jobs(store, blobs, clock, true); // these tests drive plaintext rounds
        nodes = new ConnectedNodes();
        scheduler = new RoundScheduler(store, blobs, nodes, new JobEvents(), clock,
                new RoundTiming(Duration.ofMillis(10), retryDelay), true);
    }

    private SimulatedClient client(String name, long examples, Behaviour b, String model) {
        NodeRecord n = new NodeRecord("id-" + name, name, List.of(model), examples, "cpu", 0);
        store.upsertNode(n);
        SimulatedClient c = new SimulatedClient(n, b, jobs, scheduler, nodes, clientThreads);
        clients.add(c);
        c.connect();
        return c;
    }

    @AfterEach
    void tearDown() {
        if (scheduler != null) {
            scheduler.close(Duration.ofSeconds(5));
        }
        clientThreads.shutdownNow();
        if (store != null) {
            store.close();
        }
        for (SimulatedClient c : clients) {
            assertEquals(List.of(), c.errors, "client " + c.node.nodeName() + " saw errors");
        }
    }

    private JobRecord awaitJob(String jobId, JobState state) throws InterruptedException {
        Fixtures.await("job " + state, Duration.ofSeconds(30), () -> store.job(jobId).orElseThrow().state() == state);
        return store.job(jobId).orElseThrow();
    }

    @Test
    void publishedAdapterIsOldPlusWeightedMeanOfDeltas() throws Exception {
        startCoordinator(InstantSource.system(), Duration.ofMillis(10));
        for (int i = 0; i < 12; i++) {
            client("node-" + i, 10 + 7L * i, Behaviour.RESPOND, Fixtures.MODEL_SHA);
        }
        // Not eligible: another base model. Must never be selected.
        SimulatedClient other = client("other", 1000, Behaviour.RESPOND, Fixtures.OTHER_MODEL_SHA);
        JobConfig cfg = Fixtures.config(3, 10, 8, 600);
        String jobId = jobs.create(cfg).jobId();
        scheduler.startJob(jobId);
        JobRecord done = awaitJob(jobId, JobState.JOB_STATE_COMPLETED);

        assertEquals(3, done.completedRounds());
        assertEquals(3, done.latestVersion());
        assertEquals(0, other.tasks.get());
        Map<String, SimulatedClient> byId = new LinkedHashMap<>();
        clients.forEach(c -> byId.put(c.node.nodeId(), c));
        List<RoundSummary> rounds = store.rounds(jobId);
        assertEquals(3, rounds.size());
        for (RoundSummary r : rounds) {
            assertEquals(RoundState.ROUND_STATE_COMPLETED, r.getState());
            assertEquals(10, r.getSelectedNodesCount());
            assertEquals(10, r.getContributingNodesCount());
            FlatAdapter before = FlatAdapter.fromSafetensors(cfg.getAdapterLayout(),
                    jobs.adapter(jobId, r.getAdapterVersion() - 1).data());
            FlatAdapter after = FlatAdapter.fromSafetensors(cfg.getAdapterLayout(),
                    jobs.adapter(jobId, r.getAdapterVersion()).data());
            Map<float[], Long> deltas = new LinkedHashMap<>();
            long examples = 0;
            double loss = 0;
            List<io.fedlora.proto.v1.HeldOutScore> scores = new ArrayList<>();
            for (String id : r.getContributingNodesList()) {
                NodeRecord n = byId.get(id).node;
                SimulatedClient.heldOut(n).ifPresent(scores::add);
                deltas.put(Fixtures.delta(n.nodeName(), r.getRound(), before.values().length), n.numExamples());
                examples += n.numExamples();
                loss += n.numExamples() * (2.0 + n.numExamples() * 0.01);
            }
            double[] expected = Fixtures.fedAvgReference(before.values(), deltas);
            double diff = Fixtures.maxAbsDiff(expected, after);
            assertTrue(diff < 1e-6, "round " + r.getRound() + " differs from the reference by " + diff);
            assertEquals(examples, r.getTotalExamples());
            assertEquals(loss / examples, r.getTrainLoss(), 1e-9);
            assertEquals(0.5, r.getMeanTrainSeconds(), 1e-12);
            // Each reporting node counts once; the rest hold no held-out data.
            assertEquals(scores.size(), r.getEval().getNodes());
            assertEquals(scores.stream().mapToDouble(s -> s.getExactMatch()).average().orElseThrow(),
                    r.getEval().getExactMatch(), 1e-12);
            assertEquals(scores.stream().mapToDouble(s -> s.getLoss()).average().orElseThrow(), r.getEval().getLoss(), 1e-12);
            assertEquals(r.getAdapterVersion() - 1, r.getEval().getOfAdapterVersion());
            assertTrue(r.getAggregateSeconds() >= 0);
            assertEquals(jobs.adapter(jobId, r.getAdapterVersion()).sha256(), r.getAdapterSha256());
        }
    }

    @Test
    void dropoutMidRoundStillCompletesWithoutWaitingForTheDeadline() throws Exception {
        startCoordinator(InstantSource.system(), Duration.ofMillis(10));
        for (int i = 0; i < 10; i++) {
            client("node-" + i, 20, i < 3 ? Behaviour.DROP_ON_TASK : Behaviour.RESPOND, Fixtures.MODEL_SHA);
        }
        // Deadline of 10 minutes: the test only finishes in time if dropouts are counted.
        String jobId = jobs.create(Fixtures.config(1, 10, 6, 600)).jobId();
        scheduler.startJob(jobId);
        awaitJob(jobId, JobState.JOB_STATE_COMPLETED);
        RoundSummary r = store.rounds(jobId).get(0);
        assertEquals(RoundState.ROUND_STATE_COMPLETED, r.getState());
        assertEquals(10, r.getSelectedNodesCount());
        assertEquals(7, r.getContributingNodesCount());
        Set<String> contributors = new HashSet<>(r.getContributingNodesList());
        for (int i = 0; i < 3; i++) {
            assertTrue(!contributors.contains("id-node-" + i));
        }
    }

    @Test
    void aNodeOutOfPrivacyBudgetIsCountedOutAndNeverSelectedAgain() throws Exception {
        startCoordinator(InstantSource.system(), Duration.ofMillis(10));
        for (int i = 0; i < 5; i++) {
            client("node-" + i, 20, i < 2 ? Behaviour.DECLINE_OUT_OF_BUDGET : Behaviour.RESPOND, Fixtures.MODEL_SHA);
        }
        // A 10-minute deadline: the test only ends in time if declines count as answers.
        String jobId = jobs.create(Fixtures.config(2, 5, 3, 600)).jobId();
        scheduler.startJob(jobId);
        awaitJob(jobId, JobState.JOB_STATE_COMPLETED);
        List<RoundSummary> rounds = store.rounds(jobId);
        assertEquals(5, rounds.get(0).getSelectedNodesCount());
        assertEquals(3, rounds.get(0).getContributingNodesCount());
        assertEquals(3, rounds.get(1).getSelectedNodesCount(), "declined nodes are not selected again");
        assertEquals(1, clients.get(0).tasks.get());
        assertEquals(1, clients.get(1).tasks.get());
    }

    @Test
    void belowMinClientsAbortsWithReasonAndRetries() throws Exception {
        ManualClock clock = new ManualClock();
        startCoordinator(clock, Duration.ZERO);
        List<SimulatedClient> silent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            SimulatedClient c = client("node-" + i, 20, i < 2 ? Behaviour.SILENT : Behaviour.RESPOND, Fixtures.MODEL_SHA);
            if (i < 2) {
                silent.add(c);
            }
        }
        String jobId = jobs.create(Fixtures.config(1, 5, 4, 60)).jobId();
        scheduler.startJob(jobId);
        Fixtures.await("three updates", Duration.ofSeconds(10),
                () -> clients.stream().mapToInt(c -> c.submitted.get()).sum() == 3);
        silent.forEach(c -> c.behaviour = Behaviour.RESPOND);
        clock.advance(Duration.ofSeconds(61)); // the deadline passes
        awaitJob(jobId, JobState.JOB_STATE_COMPLETED);

        List<RoundSummary> rounds = store.rounds(jobId);
        assertEquals(2, rounds.size());
        RoundSummary aborted = rounds.get(0);
        assertEquals(RoundState.ROUND_STATE_ABORTED, aborted.getState());
        assertEquals(3, aborted.getContributingNodesCount());
        assertTrue(aborted.getAbortReason().contains("only 3 of 5"), aborted.getAbortReason());
        assertTrue(aborted.getAbortReason().contains("deadline"), aborted.getAbortReason());
        assertEquals(0, aborted.getAdapterVersion());
        RoundSummary retried = rounds.get(1);
        assertEquals(2, retried.getRound());
        assertEquals(RoundState.ROUND_STATE_COMPLETED, retried.getState());
        assertEquals(5, retried.getContributingNodesCount());
        assertEquals(1, retried.getAdapterVersion());
        assertEquals(1, store.job(jobId).orElseThrow().latestVersion());
    }

    @Test
    void waitsForMinClientsBeforeSelecting() throws Exception {
        startCoordinator(InstantSource.system(), Duration.ofMillis(10));
        client("node-0", 5, Behaviour.RESPOND, Fixtures.MODEL_SHA);
        String jobId = jobs.create(Fixtures.config(1, 3, 2, 600)).jobId();
        scheduler.startJob(jobId);
        Thread.sleep(200);
        assertEquals(0, store.rounds(jobId).size(), "no round may start with fewer than min_clients");
        client("node-1", 5, Behaviour.RESPOND, Fixtures.MODEL_SHA);
        awaitJob(jobId, JobState.JOB_STATE_COMPLETED);
        assertEquals(2, store.rounds(jobId).get(0).getContributingNodesCount());
    }
}
