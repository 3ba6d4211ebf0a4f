package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DoubleValue;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.SimulatedClient.Behaviour;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.StrategyOptions;
import io.fedlora.proto.v1.TrainTask;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server optimizer's moments survive a coordinator restart: a FedAdam job stopped after its
 * first round and resumed by a fresh scheduler on the same store publishes, round for round, the
 * same adapters as the same job run without a stop. Without the stored state the second round's
 * step would start from m = 0, v = τ² and differ.
 */
@Timeout(60)
class StrategyStateRestartTest {

    @TempDir
    Path uninterruptedDir;
    @TempDir
    Path restartedDir;

    private final ExecutorService clientThreads = Executors.newFixedThreadPool(4);
    private final List<Coordinator> running = new ArrayList<>();

    /** One coordinator's round machinery over an embedded store in {@code dir}, with two clients. */
    private final class Coordinator implements AutoCloseable {
        final Store store;
        final FileBlobStore blobs;
        final Jobs jobs;
        final RoundScheduler scheduler;
        final List<SimulatedClient> clients = new ArrayList<>();

        Coordinator(Path dir, Behaviour b) {
            store = DatabaseSettings.embedded(dir).open();
            blobs = new FileBlobStore(dir.resolve("blobs"));
            jobs = new Jobs(store, blobs, InstantSource.system(), true);
            ConnectedNodes nodes = new ConnectedNodes();
            scheduler = new RoundScheduler(store, blobs, nodes, new JobEvents(), InstantSource.system(),
                    new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(10)), true);
            for (int i = 0; i < 2; i++) {
                NodeRecord n = new NodeRecord("id-node-" + i, "node-" + i, List.of(Fixtures.MODEL_SHA), 10 + 5 * i,
                        "cpu", 0);
                store.upsertNode(n);
                SimulatedClient c = new SimulatedClient(n, b, jobs, scheduler, nodes, clientThreads);
                clients.add(c);
                c.connect();
            }
            running.add(this);
        }

        void awaitCompleted(String jobId) throws InterruptedException {
            Fixtures.await("job completed", Duration.ofSeconds(30),
                    () -> store.job(jobId).orElseThrow().state() == JobState.JOB_STATE_COMPLETED);
        }

        String adapterSha(String jobId, int version) {
            return store.adapterVersion(jobId, version).orElseThrow().sha256();
        }

        @Override
        public void close() {
            if (running.remove(this)) {
                scheduler.close(Duration.ofSeconds(5));
                store.close();
                clients.forEach(c -> assertEquals(List.of(), c.errors, c.node.nodeName() + " saw errors"));
            }
        }
    }

    @AfterEach
    void tearDown() {
        new ArrayList<>(running).forEach(Coordinator::close);
        clientThreads.shutdownNow();
    }

    private static JobConfig fedAdamJob() {
        return Fixtures.config(3, 2, 2, 600).toBuilder().setStrategy(Strategy.STRATEGY_FEDADAM)
                .setStrategyOptions(StrategyOptions.newBuilder().setServerLr(DoubleValue.of(0.05)).setTau(DoubleValue.of(1e-3))).build();
    }

    @Test
    void nextUpdateAfterARestartEqualsTheUninterruptedOne() throws Exception {
        List<String> expected = new ArrayList<>();
        try (Coordinator c = new Coordinator(uninterruptedDir, Behaviour.RESPOND)) {
            String job = c.jobs.create(fedAdamJob()).jobId();
            c.scheduler.startJob(job);
            c.awaitCompleted(job);
            for (int v = 1; v <= 3; v++) {
                expected.add(c.adapterSha(job, v));
            }
        }

        String job;
        try (Coordinator first = new Coordinator(restartedDir, Behaviour.SILENT)) {
            job = first.jobs.create(fedAdamJob()).jobId();
            first.scheduler.startJob(job);
            List<TrainTask> tasks = new ArrayList<>();
            for (SimulatedClient c : first.clients) {
                TrainTask t = c.received.poll(10, TimeUnit.SECONDS);
                assertNotNull(t, c.node.nodeName() + " got no task");
                tasks.add(t);
            }
            // Paused so the loop stops between rounds, not in the middle of round 2.
            first.scheduler.pauseJob(job);
            for (int i = 0; i < tasks.size(); i++) {
                first.clients.get(i).respond(tasks.get(i));
            }
            Fixtures.await("round 1 completed", Duration.ofSeconds(10), () -> first.store.rounds(job).size() == 1
                    && first.store.rounds(job).get(0).getState() == RoundState.ROUND_STATE_COMPLETED);
            String stateSha = first.store.adapterVersion(job, 1).orElseThrow().strategyStateSha256();
            assertFalse(stateSha.isEmpty(), "FedAdam's moments are stored with version 1");
            assertTrue(first.blobs.contains(stateSha));
            assertEquals("", first.store.adapterVersion(job, 0).orElseThrow().strategyStateSha256());
        }

        try (Coordinator again = new Coordinator(restartedDir, Behaviour.RESPOND)) {
            again.scheduler.resumeRunningJobs();
            again.scheduler.resumeJob(job);
            again.awaitCompleted(job);
            List<String> got = new ArrayList<>();
            for (int v = 1; v <= 3; v++) {
                got.add(again.adapterSha(job, v));
            }
            assertEquals(expected, got);
            assertEquals(List.of(1, 2, 3), again.store.rounds(job).stream().map(r -> r.getRound()).toList());
        }
    }
}
