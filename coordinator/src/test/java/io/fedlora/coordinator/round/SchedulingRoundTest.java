package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.JobConfigValidator;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.SimulatedClient.Behaviour;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SchedulingOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over-selection and the straggler cut-off against the round loop: nodes that never answer (SILENT)
 * do not hold a round whose deadline is minutes away.
 */
@Timeout(60)
class SchedulingRoundTest {

    @TempDir
    Path dir;

    private Store store;
    private Jobs jobs;
    private ConnectedNodes nodes;
    private RoundScheduler scheduler;
    private final ExecutorService clientThreads = Executors.newFixedThreadPool(4);
    private final List<SimulatedClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        store = DatabaseSettings.embedded(dir).open();
        FileBlobStore blobs = new FileBlobStore(dir.resolve("blobs"));
        jobs = new Jobs(store, blobs, InstantSource.system(), true);
        nodes = new ConnectedNodes();
        scheduler = new RoundScheduler(store, blobs, nodes, new JobEvents(), InstantSource.system(),
                new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(10)), true);
    }

    @AfterEach
    void stop() {
        scheduler.close(Duration.ofSeconds(5));
        clientThreads.shutdownNow();
        store.close();
        clients.forEach(c -> assertEquals(List.of(), c.errors, c.node.nodeName() + " saw errors"));
    }

    private void connect(int n, Behaviour b) {
        for (int i = 0; i < n; i++) {
            String name = b.name().toLowerCase() + "-" + i;
            NodeRecord node = new NodeRecord("id-" + name, name, List.of(Fixtures.MODEL_SHA), 10 + i, "cpu", 0);
            store.upsertNode(node);
            SimulatedClient c = new SimulatedClient(node, b, jobs, scheduler, nodes, clientThreads);
            clients.add(c);
            c.connect();
        }
    }

    private RoundSummary runOneRound(JobConfig cfg) throws InterruptedException {
        String jobId = jobs.create(cfg).jobId();
        scheduler.startJob(jobId);
        Fixtures.await("job completed", Duration.ofSeconds(20),
                () -> store.job(jobId).orElseThrow().state() == JobState.JOB_STATE_COMPLETED);
        List<RoundSummary> rounds = store.rounds(jobId);
        assertEquals(1, rounds.size());
        assertEquals(RoundState.ROUND_STATE_COMPLETED, rounds.get(0).getState());
        return rounds.get(0);
    }

    @Test
    void overSelectedRoundClosesWhenClientsPerRoundAnswered() throws Exception {
        connect(3, Behaviour.RESPOND);
        connect(3, Behaviour.SILENT);
        // 3 per round, over-selected by 100%: all 6 asked; the 3 that answer are enough.
        JobConfig cfg = Fixtures.config(1, 3, 2, 600).toBuilder()
                .setScheduling(SchedulingOptions.newBuilder().setOverSelection(1.0)).build();
        RoundSummary r = runOneRound(cfg);
        assertEquals(6, r.getSelectedNodesCount());
        assertEquals(3, r.getContributingNodesCount());
        assertTrue(r.getContributingNodesList().stream().allMatch(id -> id.startsWith("id-respond-")));
        assertTrue(r.getEndedUnixMs() - r.getStartedUnixMs() < 15_000, "did not wait for the deadline");
    }

    @Test
    void stragglerCutOffClosesTheRoundWithMinClientsIn() throws Exception {
        connect(2, Behaviour.RESPOND);
        connect(1, Behaviour.SILENT);
        JobConfig cfg = Fixtures.config(1, 3, 2, 600).toBuilder()
                .setScheduling(SchedulingOptions.newBuilder().setStragglerCutoffSeconds(1)).build();
        RoundSummary r = runOneRound(cfg);
        assertEquals(3, r.getSelectedNodesCount());
        assertEquals(2, r.getContributingNodesCount());
        long took = r.getEndedUnixMs() - r.getStartedUnixMs();
        assertTrue(took >= 1000 && took < 15_000, "closed at the cut-off, after " + took + " ms");
    }

    @Test
    void schedulingOptionsAreValidated() {
        JobConfig bad = Fixtures.config(1, 3, 2, 10).toBuilder().setScheduling(SchedulingOptions.newBuilder()
                .setOverSelection(1.5).setStragglerCutoffSeconds(10).setCooldownRounds(-1)).build();
        String all = String.join("\n", JobConfigValidator.problems(bad, true));
        for (String s : List.of("scheduling.over_selection: must be in [0, 1], got 1.5",
                "scheduling.straggler_cutoff_seconds: must be 0 (off) or in (0, round_deadline_seconds = 10), got 10",
                "scheduling.cooldown_rounds: must be >= 0, got -1")) {
            assertTrue(all.contains(s), () -> "missing " + s + " in\n" + all);
        }
    }
}
