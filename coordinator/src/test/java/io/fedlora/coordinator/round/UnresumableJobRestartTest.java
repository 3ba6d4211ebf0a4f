package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.SimulatedClient.Behaviour;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrainTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator restarted on a store where a RUNNING job cannot go on (its latest adapter gone or
 * changed, its rows inconsistent) ends that job FAILED with the reason and tells its watchers,
 * rather than leaving it RUNNING with no loop or carrying on from the wrong state; a healthy job on
 * the same store resumes and completes, and nothing the broken job had published is changed.
 */
@Timeout(60)
class UnresumableJobRestartTest {

    @TempDir
    Path dir;

    private Store store;
    private Jobs jobs;
    private ConnectedNodes nodes;
    private JobEvents events;
    private RoundScheduler scheduler;
    private final ExecutorService clientThreads = Executors.newFixedThreadPool(4);
    private final List<SimulatedClient> clients = new ArrayList<>();

    /** Both RUNNING at version 1, their round 2 cut off by the stop. */
    private String broken;
    private String healthy;

    private void startCoordinator() {
        store = DatabaseSettings.embedded(dir).open();
        FileBlobStore blobs = new FileBlobStore(dir.resolve("blobs"));
        jobs = new Jobs(store, blobs, InstantSource.system(), true);
        nodes = new ConnectedNodes();
        events = new JobEvents();
        scheduler = new RoundScheduler(store, blobs, nodes, events, InstantSource.system(),
                new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(10)), true);
    }

    private void stopCoordinator() {
        scheduler.close(Duration.ofSeconds(5));
        store.close();
        clients.clear();
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

    private List<SimulatedClient> connect(Behaviour b) {
        List<SimulatedClient> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            NodeRecord node = new NodeRecord("id-node-" + i, "node-" + i, List.of(Fixtures.MODEL_SHA), 10 + i, "cpu", 0);
            store.upsertNode(node);
            SimulatedClient c = new SimulatedClient(node, b, jobs, scheduler, nodes, clientThreads);
            clients.add(c);
            c.connect();
            out.add(c);
        }
        return out;
    }

    private static List<TrainTask> takeTasks(List<SimulatedClient> cs, String jobId, int round)
            throws InterruptedException {
        List<TrainTask> out = new ArrayList<>();
        for (SimulatedClient c : cs) {
            TrainTask t = c.received.poll(10, TimeUnit.SECONDS);
            assertNotNull(t, c.node.nodeName() + " got no task");
            assertEquals(jobId + " round " + round, t.getJobId() + " round " + t.getRound());
            out.add(t);
        }
        return out;
    }

    /** Starts the job, completes its round 1 by hand, and leaves round 2 in flight. */
    private String runOneRound(List<SimulatedClient> cs, long aSeed) throws InterruptedException {
        JobConfig cfg = Fixtures.config(3, 2, 2, 600);
        String id = jobs.create(cfg.toBuilder().setLora(cfg.getLora().toBuilder().setASeed(aSeed)).build()).jobId();
        scheduler.startJob(id);
        List<TrainTask> tasks = takeTasks(cs, id, 1);
        for (int i = 0; i < cs.size(); i++) {
            cs.get(i).respond(tasks.get(i));
        }
        takeTasks(cs, id, 2);
        assertEquals(1, store.job(id).orElseThrow().latestVersion());
        return id;
    }

    @BeforeEach
    void twoJobsRunningAtVersionOne() throws Exception {
        startCoordinator();
        List<SimulatedClient> cs = connect(Behaviour.SILENT);
        // Different initial adapters: blobs are shared by content, and the jobs' must not be.
        broken = runOneRound(cs, 42);
        healthy = runOneRound(cs, 43);
        assertNotEquals(store.job(broken).orElseThrow().latestSha256(), store.job(healthy).orElseThrow().latestSha256());
        stopCoordinator();
    }

    /** What a job has published: its completed rounds and versions. */
    private record Published(List<RoundSummary> rounds, List<AdapterVersion> versions) {}

    private Published published(String jobId) {
        return new Published(store.rounds(jobId).stream().filter(r -> r.getState() == RoundState.ROUND_STATE_COMPLETED)
                .toList(), store.adapterVersions(jobId));
    }

    /**
     * Restarts on the same store with two answering clients: the broken job ends FAILED with
     * {@code reason}, its watcher told and what it published unchanged; the healthy one completes.
     */
    private void restartAndExpectFailure(String reason) throws Exception {
        startCoordinator();
        Published before = published(broken);
        List<JobRecord> ended = new CopyOnWriteArrayList<>();
        events.subscribe(broken, new JobListener() {
            @Override
            public void onRoundEnded(RoundSummary summary) {}

            @Override
            public void onJobEnded(JobRecord job) {
                ended.add(job);
            }
        });
        connect(Behaviour.RESPOND);
        scheduler.resumeRunningJobs();
        Fixtures.await("the broken job failed", Duration.ofSeconds(10),
                () -> store.job(broken).orElseThrow().state() == JobState.JOB_STATE_FAILED);
        JobRecord failed = store.job(broken).orElseThrow();
        assertEquals(reason, failed.failureReason());
        Fixtures.await("its watcher told", Duration.ofSeconds(5), () -> !ended.isEmpty());
        assertEquals(JobState.JOB_STATE_FAILED, ended.get(0).state());
        assertEquals(reason, ended.get(0).failureReason());
        // The admin CLI and the dashboard show the job's record; the reason travels in it.
        assertEquals(reason, failed.toProto().getFailureReason());

        Fixtures.await("the healthy job completed", Duration.ofSeconds(20),
                () -> store.job(healthy).orElseThrow().state() == JobState.JOB_STATE_COMPLETED);
        assertEquals(3, store.job(healthy).orElseThrow().completedRounds());
        assertEquals(before, published(broken), "nothing of the broken job's was changed");
        assertEquals(1, failed.completedRounds());
        assertEquals(1, failed.latestVersion());
    }

    private Path latestBlob(String jobId) {
        try (Store s = DatabaseSettings.embedded(dir).open()) {
            return dir.resolve("blobs").resolve(s.job(jobId).orElseThrow().latestSha256());
        }
    }

    private String latestShort(String jobId) {
        return latestBlob(jobId).getFileName().toString().substring(0, 8) + "…";
    }

    @Test
    void theLatestAdapterDeletedFromTheBlobStore() throws Exception {
        Files.delete(latestBlob(broken));
        restartAndExpectFailure("cannot resume: adapter version 1 (sha256 " + latestShort(broken)
                + ") is missing from the blob store");
    }

    @Test
    void theLatestAdapterOverwritten() throws Exception {
        Files.write(latestBlob(broken), new byte[] {42});
        restartAndExpectFailure("cannot resume: adapter version 1 (sha256 " + latestShort(broken)
                + ") is corrupted in the blob store: its bytes no longer match that sha256");
    }

    private Connection database() throws Exception {
        return DriverManager.getConnection("jdbc:h2:file:" + dir.toAbsolutePath().resolve("fedlora"), "fedlora", "");
    }

    @Test
    void theLatestVersionsRowDeleted() throws Exception {
        // Left alone, the loop would load the adapter by the job's sha256 and go on with a strategy
        // state it silently took to be empty.
        try (Connection c = database(); Statement st = c.createStatement()) {
            assertEquals(1, st.executeUpdate("DELETE FROM adapter_versions WHERE job_id = '" + broken
                    + "' AND version = 1"));
        }
        restartAndExpectFailure("cannot resume: the store has no record of adapter version 1 (the job is at version 1;"
                + " versions must run from 0 without gaps)");
    }

    /** Gives the broken job a strategy this coordinator does not know, as a newer one's job looks after a downgrade. */
    private void storeAnUnknownStrategy(JobState state) throws Exception {
        JobConfig newer;
        try (Store s = DatabaseSettings.embedded(dir).open()) {
            newer = s.job(broken).orElseThrow().config().toBuilder().setStrategyValue(99).build();
        }
        try (Connection c = database(); PreparedStatement st = c.prepareStatement(
                "UPDATE jobs SET config = ?, state = ? WHERE job_id = ?")) {
            st.setBytes(1, newer.toByteArray());
            st.setString(2, state.name());
            st.setString(3, broken);
            assertEquals(1, st.executeUpdate());
        }
    }

    @Test
    void aStrategyThisCoordinatorDoesNotKnow() throws Exception {
        // Its loop cannot even be made, which used to end the resumption of every job after it.
        storeAnUnknownStrategy(JobState.JOB_STATE_RUNNING);
        restartAndExpectFailure("cannot resume: strategy: unsupported UNRECOGNIZED");
    }

    @Test
    void resumingAPausedJobWhoseLoopCannotBeMadeFailsIt() throws Exception {
        storeAnUnknownStrategy(JobState.JOB_STATE_PAUSED);
        startCoordinator();
        scheduler.resumeRunningJobs();
        assertEquals(JobState.JOB_STATE_PAUSED, store.job(broken).orElseThrow().state());
        FailedPrecondition e = assertThrows(FailedPrecondition.class, () -> scheduler.resumeJob(broken));
        assertEquals("job " + broken + " cannot resume: strategy: unsupported UNRECOGNIZED", e.getMessage());
        JobRecord failed = store.job(broken).orElseThrow();
        assertEquals(JobState.JOB_STATE_FAILED, failed.state(), "not left RUNNING with no loop");
        assertEquals("cannot resume: strategy: unsupported UNRECOGNIZED", failed.failureReason());
    }
}
