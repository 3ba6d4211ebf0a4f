package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.SecureSimulatedClient.Behaviour;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SchedulingOptions;
import io.fedlora.proto.v1.StageTiming;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over-selection and the straggler cut-off in secure rounds: nodes that take part in the key stages
 * but are still training (STRAGGLER) do not hold the masked-input stage to the deadline once enough
 * masked inputs are in; they become dropouts whose pair masks the survivors' shares remove, so the
 * published mean is exactly that of the nodes that sent.
 */
class SecureSchedulingTest {

    @TempDir
    Path dir;

    private Store store;
    private Jobs jobs;
    private RoundScheduler scheduler;
    private final ConnectedNodes nodes = new ConnectedNodes();
    private final List<SecureSimulatedClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        store = DatabaseSettings.embedded(dir).open();
        FileBlobStore blobs = new FileBlobStore(dir.resolve("blobs"));
        jobs = new Jobs(store, blobs, InstantSource.system());
        scheduler = new RoundScheduler(store, blobs, nodes, new JobEvents(), InstantSource.system(),
                new RoundTiming(Duration.ofMillis(20), Duration.ofMillis(20)));
    }

    @AfterEach
    void stop() {
        scheduler.close(Duration.ofSeconds(5));
        clients.forEach(SecureSimulatedClient::close);
        store.close();
        clients.forEach(c -> assertEquals(List.of(), c.errors, c.node.nodeName() + " saw errors"));
    }

    private void connect(int n, Behaviour b) {
        for (int i = 0; i < n; i++) {
            SecureSimulatedClient c = new SecureSimulatedClient(b.name().toLowerCase() + i, 10 + clients.size(), b,
                    scheduler, nodes, "none");
            store.upsertNode(c.node);
            clients.add(c);
            c.connect();
        }
    }

    private RoundSummary runOneRound(JobConfig cfg) throws InterruptedException {
        String job = jobs.create(cfg).jobId();
        scheduler.startJob(job);
        Fixtures.await("job completes", Duration.ofSeconds(30),
                () -> store.job(job).orElseThrow().state() == JobState.JOB_STATE_COMPLETED);
        List<RoundSummary> rounds = jobs.rounds(job);
        assertEquals(1, rounds.size(), rounds.toString());
        assertEquals(RoundState.ROUND_STATE_COMPLETED, rounds.get(0).getState());
        return rounds.get(0);
    }

    private static List<String> droppedAtMaskedInput(RoundSummary r) {
        return r.getStagesList().stream().filter(s -> s.getStage().equals("masked_input"))
                .map(StageTiming::getDroppedNodesList).findFirst().orElseThrow();
    }

    @Test
    void anOverSelectedSecureRoundClosesOnceClientsPerRoundMaskedInputsAreIn() throws Exception {
        connect(6, Behaviour.HONEST);
        connect(2, Behaviour.STRAGGLER);
        // 6 per round over-selected by a third: all 8 asked; 6 masked inputs are enough (t is below 6).
        JobConfig cfg = Fixtures.secureConfig(1, 6, 4, 600).toBuilder()
                .setScheduling(SchedulingOptions.newBuilder().setOverSelection(0.34)).build();
        RoundSummary r = runOneRound(cfg);
        assertEquals(8, r.getSelectedNodesCount());
        assertEquals(6, r.getContributingNodesCount());
        assertTrue(r.getContributingNodesList().stream().allMatch(id -> id.startsWith("id-honest")), r.toString());
        assertEquals(2, droppedAtMaskedInput(r).size(), "the stragglers count as masked-input dropouts");
        assertTrue(r.getSecaggThreshold() <= 6, "closed within the threshold rules: t = " + r.getSecaggThreshold());
        assertTrue(r.getEndedUnixMs() - r.getStartedUnixMs() < 20_000, "did not wait for the 600 s deadline");
        assertEquals(1.5, r.getTrainLoss(), 1e-3, "the sum decoded: only the six that sent are in it");
    }

    @Test
    void aSecureRoundClosesAtTheStragglerCutOffWithMinClientsIn() throws Exception {
        connect(7, Behaviour.HONEST);
        connect(1, Behaviour.STRAGGLER);
        JobConfig cfg = Fixtures.secureConfig(1, 8, 4, 600).toBuilder()
                .setScheduling(SchedulingOptions.newBuilder().setStragglerCutoffSeconds(2)).build();
        RoundSummary r = runOneRound(cfg);
        assertEquals(8, r.getSelectedNodesCount());
        assertEquals(7, r.getContributingNodesCount());
        assertEquals(List.of("id-straggler0"), droppedAtMaskedInput(r));
        long took = r.getEndedUnixMs() - r.getStartedUnixMs();
        assertTrue(took >= 2000 && took < 20_000, "closed at the cut-off, after " + took + " ms");
    }

    @Test
    void withoutEitherOptionTheStageWaitsForTheStragglerUntilTheDeadline() throws Exception {
        connect(7, Behaviour.HONEST);
        connect(1, Behaviour.STRAGGLER);
        RoundSummary r = runOneRound(Fixtures.secureConfig(1, 8, 4, 3));
        assertEquals(8, r.getSelectedNodesCount());
        assertEquals(7, r.getContributingNodesCount());
        long took = r.getEndedUnixMs() - r.getStartedUnixMs();
        assertTrue(took >= 3000, "waited for the 3 s deadline: " + took + " ms");
    }
}
