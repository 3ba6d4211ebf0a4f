package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.CoordinatorException;
import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.CoordinatorException.NotFound;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.SimulatedClient.Behaviour;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.proto.v1.CancelTask;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrainTask;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pause, resume and cancel against the round loop with simulated clients that answer when the test
 * says (behaviour SILENT, then {@link SimulatedClient#respond}), over the real H2 store: the state
 * machine, what each does to the round in progress, and that both survive a restart.
 */
@Timeout(60)
class JobControlTest {

    /** Long enough for a round the loop would wrongly start to show up. */
    private static final long QUIET_MS = 300;

    @TempDir
    Path dir;

    private Store store;
    private Jobs jobs;
    private ConnectedNodes nodes;
    private JobEvents events;
    private RoundScheduler scheduler;
    private final ExecutorService clientThreads = Executors.newFixedThreadPool(4);
    private final List<SimulatedClient> clients = new ArrayList<>();

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

    private List<SimulatedClient> connect(int n, Behaviour b) {
        List<SimulatedClient> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NodeRecord node = new NodeRecord("id-node-" + i, "node-" + i, List.of(Fixtures.MODEL_SHA), 10 + i, "cpu", 0);
            store.upsertNode(node);
            SimulatedClient c = new SimulatedClient(node, b, jobs, scheduler, nodes, clientThreads);
            clients.add(c);
            c.connect();
            out.add(c);
        }
        return out;
    }

    private static List<TrainTask> takeTasks(List<SimulatedClient> cs, int round) throws InterruptedException {
        List<TrainTask> out = new ArrayList<>();
        for (SimulatedClient c : cs) {
            TrainTask t = c.received.poll(10, TimeUnit.SECONDS);
            assertNotNull(t, c.node.nodeName() + " got no task");
            assertEquals(round, t.getRound());
            out.add(t);
        }
        return out;
    }

    private JobRecord job(String id) {
        return store.job(id).orElseThrow();
    }

    private void awaitRounds(String jobId, int n, RoundState lastState) throws InterruptedException {
        Fixtures.await(n + " rounds", Duration.ofSeconds(10), () -> {
            List<RoundSummary> r = store.rounds(jobId);
            return r.size() == n && r.get(n - 1).getState() == lastState;
        });
    }

    /** Nothing new happens for a while: no task reaches a client and no round is added. */
    private void assertQuiet(String jobId, List<SimulatedClient> cs) throws InterruptedException {
        int rounds = store.rounds(jobId).size();
        Thread.sleep(QUIET_MS);
        for (SimulatedClient c : cs) {
            assertEquals(List.of(), List.copyOf(c.received), c.node.nodeName() + " got a task");
        }
        assertEquals(rounds, store.rounds(jobId).size(), "no round started");
    }

    @Test
    void pauseLetsTheRoundInProgressFinishAndStartsNoOtherUntilResumed() throws Exception {
        startCoordinator();
        List<SimulatedClient> cs = connect(3, Behaviour.SILENT);
        String job = jobs.create(Fixtures.config(3, 3, 3, 600)).jobId();
        scheduler.startJob(job);
        List<TrainTask> first = takeTasks(cs, 1);

        assertEquals(JobState.JOB_STATE_PAUSED, scheduler.pauseJob(job).state());
        assertEquals(JobState.JOB_STATE_PAUSED, job(job).state());
        // The round in progress takes updates and publishes as usual.
        for (int i = 0; i < 3; i++) {
            cs.get(i).respond(first.get(i));
        }
        awaitRounds(job, 1, RoundState.ROUND_STATE_COMPLETED);
        assertEquals(1, job(job).latestVersion());
        assertQuiet(job, cs);
        assertEquals(JobState.JOB_STATE_PAUSED, job(job).state());
        assertStatus(FailedPrecondition.class, "job " + job + " cannot be paused: it is paused",
                () -> scheduler.pauseJob(job));

        assertEquals(JobState.JOB_STATE_RUNNING, scheduler.resumeJob(job).state());
        for (int round = 2; round <= 3; round++) {
            List<TrainTask> tasks = takeTasks(cs, round);
            for (int i = 0; i < 3; i++) {
                cs.get(i).respond(tasks.get(i));
            }
        }
        Fixtures.await("job completed", Duration.ofSeconds(10), () -> job(job).state() == JobState.JOB_STATE_COMPLETED);
        assertEquals(3, job(job).completedRounds());
        assertTrue(store.rounds(job).stream().allMatch(r -> r.getState() == RoundState.ROUND_STATE_COMPLETED));
    }

    @Test
    void aJobPausedWhileWaitingForNodesStartsNoRound() throws Exception {
        startCoordinator();
        String job = jobs.create(Fixtures.config(2, 3, 3, 600)).jobId();
        scheduler.startJob(job);
        scheduler.pauseJob(job);
        List<SimulatedClient> cs = connect(3, Behaviour.RESPOND);
        assertQuiet(job, cs);
        scheduler.resumeJob(job);
        Fixtures.await("job completed", Duration.ofSeconds(10), () -> job(job).state() == JobState.JOB_STATE_COMPLETED);
        assertEquals(2, job(job).completedRounds());
    }

    @Test
    void cancelAbortsTheRoundInProgressPublishesNothingAndTellsItsNodes() throws Exception {
        startCoordinator();
        List<SimulatedClient> cs = connect(3, Behaviour.SILENT);
        String job = jobs.create(Fixtures.config(3, 3, 3, 600)).jobId();
        List<JobRecord> ended = new CopyOnWriteArrayList<>();
        List<RoundSummary> roundEvents = new CopyOnWriteArrayList<>();
        events.subscribe(job, new JobListener() {
            @Override
            public void onRoundEnded(RoundSummary summary) {
                roundEvents.add(summary);
            }

            @Override
            public void onJobEnded(JobRecord j) {
                ended.add(j);
            }
        });
        scheduler.startJob(job);
        List<TrainTask> tasks = takeTasks(cs, 1);
        cs.get(0).respond(tasks.get(0));

        JobRecord cancelled = scheduler.cancelJob(job, "operator otto");
        assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.state());
        assertEquals("cancelled by operator otto", cancelled.failureReason());
        List<RoundSummary> rounds = store.rounds(job);
        assertEquals(1, rounds.size());
        assertEquals(RoundState.ROUND_STATE_ABORTED, rounds.get(0).getState());
        assertEquals("job cancelled by operator otto", rounds.get(0).getAbortReason());
        assertEquals(0, job(job).latestVersion(), "nothing was published");
        assertEquals(0, job(job).completedRounds());
        assertStatus(NotFound.class, "no adapter version 1", () -> jobs.adapter(job, 1));
        // Watchers learn that the round and the job are over.
        assertEquals(List.of(rounds.get(0)), roundEvents);
        assertEquals(1, ended.size());
        // The nodes still training are told; a late update is refused.
        for (SimulatedClient c : cs.subList(1, 3)) {
            Fixtures.await(c.node.nodeName() + " told", Duration.ofSeconds(5), () -> !c.cancels.isEmpty());
            CancelTask t = c.cancels.get(0);
            assertEquals(1, t.getRound());
            assertEquals("job " + job + " was cancelled", t.getReason());
        }
        assertStatus(FailedPrecondition.class, "is not running (it is cancelled)", () -> cs.get(1).respond(tasks.get(1)));
        assertQuiet(job, cs);

        for (Executable e : List.<Executable>of(() -> scheduler.cancelJob(job, "x"), () -> scheduler.pauseJob(job),
                () -> scheduler.resumeJob(job), () -> scheduler.startJob(job))) {
            FailedPrecondition f = assertThrows(FailedPrecondition.class, e);
            assertTrue(f.getMessage().endsWith(": it is cancelled"), f.getMessage());
        }
        assertEquals(1, store.rounds(job).size());
    }

    @Test
    void wrongTransitionsNameTheStateAndUnknownJobsAreNotFound() throws Exception {
        startCoordinator();
        String created = jobs.create(Fixtures.config(1, 1, 1, 600)).jobId();
        assertStatus(FailedPrecondition.class, "job " + created + " cannot be paused: it is created",
                () -> scheduler.pauseJob(created));
        assertStatus(FailedPrecondition.class, "job " + created + " cannot be resumed: it is created",
                () -> scheduler.resumeJob(created));
        String running = jobs.create(Fixtures.config(1, 1, 1, 600)).jobId();
        scheduler.startJob(running);
        assertStatus(FailedPrecondition.class, "cannot be resumed: it is running", () -> scheduler.resumeJob(running));
        assertStatus(FailedPrecondition.class, "cannot start: it is running", () -> scheduler.startJob(running));

        // A job never started can be cancelled, and then never starts.
        assertEquals(JobState.JOB_STATE_CANCELLED, scheduler.cancelJob(created, "admin local-admin").state());
        assertStatus(FailedPrecondition.class, "cannot start: it is cancelled", () -> scheduler.startJob(created));

        connect(1, Behaviour.RESPOND);
        Fixtures.await("completed", Duration.ofSeconds(10), () -> job(running).state() == JobState.JOB_STATE_COMPLETED);
        assertStatus(FailedPrecondition.class, "cannot be paused: it is completed", () -> scheduler.pauseJob(running));
        assertStatus(FailedPrecondition.class, "cannot be cancelled: it is completed",
                () -> scheduler.cancelJob(running, "x"));
        for (Executable e : List.<Executable>of(() -> scheduler.pauseJob("nope"), () -> scheduler.resumeJob("nope"),
                () -> scheduler.cancelJob("nope", "x"))) {
            assertStatus(NotFound.class, "job_id: no job 'nope'", e);
        }
    }

    @Test
    void pausedAndCancelledJobsStaySoAcrossARestart() throws Exception {
        startCoordinator();
        List<SimulatedClient> cs = connect(2, Behaviour.SILENT);
        String paused = jobs.create(Fixtures.config(3, 2, 2, 600)).jobId();
        scheduler.startJob(paused);
        List<TrainTask> tasks = takeTasks(cs, 1);
        scheduler.pauseJob(paused);
        cs.get(0).respond(tasks.get(0));
        cs.get(1).respond(tasks.get(1));
        awaitRounds(paused, 1, RoundState.ROUND_STATE_COMPLETED);
        String cancelled = jobs.create(Fixtures.config(3, 2, 2, 600)).jobId();
        scheduler.startJob(cancelled);
        takeTasks(cs, 1);
        scheduler.cancelJob(cancelled, "operator otto");
        List<RoundSummary> cancelledRounds = store.rounds(cancelled);

        stopCoordinator();
        startCoordinator();
        scheduler.resumeRunningJobs();
        List<SimulatedClient> again = connect(2, Behaviour.RESPOND);
        Thread.sleep(QUIET_MS);
        assertEquals(JobState.JOB_STATE_PAUSED, job(paused).state());
        assertEquals(1, store.rounds(paused).size());
        assertEquals(JobState.JOB_STATE_CANCELLED, job(cancelled).state());
        assertEquals(cancelledRounds, store.rounds(cancelled));
        assertTrue(again.stream().allMatch(c -> c.received.isEmpty()), "no task after the restart");

        // Resumed by a fresh loop, which carries on from the stored round and version.
        scheduler.resumeJob(paused);
        Fixtures.await("completed", Duration.ofSeconds(10), () -> job(paused).state() == JobState.JOB_STATE_COMPLETED);
        assertEquals(3, job(paused).completedRounds());
        assertEquals(List.of(1, 2, 3), store.rounds(paused).stream().map(RoundSummary::getRound).toList());
        assertEquals(cancelledRounds, store.rounds(cancelled));
    }

    private static void assertStatus(Class<? extends CoordinatorException> type, String text, Executable e) {
        CoordinatorException ex = assertThrows(type, e);
        assertTrue(ex.getMessage().contains(text), ex.getMessage());
    }
}
