package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.CoordinatorException;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.SecureSimulatedClient.Behaviour;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A federation of 200 clients in one JVM, through the coordinator's real round loop and the
 * in-memory transport seam, each running the real SecAgg+ client: 10% drop out at random stages
 * and a few misbehave. The round completes, the misbehaving are refused with typed errors, and the
 * coordinator's unmasked sum is exactly the sum of the contributors' encoded updates.
 */
@Timeout(180)
class SecureFederationSimulationTest {

    @TempDir
    Path dir;

    private Store store;
    private Jobs jobs;
    private RoundScheduler scheduler;
    private final List<SecureSimulatedClient> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        if (scheduler != null) {
            scheduler.close(Duration.ofSeconds(5));
        }
        clients.forEach(SecureSimulatedClient::close);
        if (store != null) {
            store.close();
        }
    }

    @Test
    void twoHundredClientsWithDropoutsAtEveryStageAndMisbehavingClients() throws Exception {
        store = DatabaseSettings.embedded(dir).open();
        FileBlobStore blobs = new FileBlobStore(dir.resolve("blobs"));
        jobs = new Jobs(store, blobs, InstantSource.system());
        ConnectedNodes nodes = new ConnectedNodes();
        scheduler = new RoundScheduler(store, blobs, nodes, new JobEvents(), InstantSource.system(),
                new RoundTiming(Duration.ofMillis(20), Duration.ofMillis(50)));

        int n = 200;
        List<Behaviour> plan = new ArrayList<>();
        for (Behaviour b : List.of(Behaviour.FORGED_SIGNATURE, Behaviour.REPLAYED_FROM_ANOTHER_ROUND,
                Behaviour.IMPERSONATES_THEN_HONEST, Behaviour.WRONG_LENGTH, Behaviour.DUPLICATE_UPLOAD)) {
            plan.add(b);
        }
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < n / 10; i++) {
            plan.add(List.of(Behaviour.DROP_AT_1, Behaviour.DROP_AT_2, Behaviour.DROP_AT_3, Behaviour.DROP_AT_4)
                    .get(r.nextInt(4)));
        }
        while (plan.size() < n) {
            plan.add(Behaviour.HONEST);
        }
        for (int i = 0; i < n; i++) {
            String victim = "id-c" + ((i + 1) % n);
            SecureSimulatedClient c = new SecureSimulatedClient("c" + i, 10 + r.nextInt(90), plan.get(i), scheduler,
                    nodes, victim);
            store.upsertNode(c.node);
            clients.add(c);
            c.connect();
        }
        JobConfig cfg = Fixtures.secureConfig(1, n, 150, 120).toBuilder()
                .setSecureAggregation(Fixtures.secureConfig(1, n, 150, 120).getSecureAggregation().toBuilder()
                        .setDropoutFraction(0.1).setCorruptFraction(0.05).setStageTimeoutSeconds(30))
                .build();
        String job = jobs.create(cfg).jobId();
        scheduler.startJob(job);
        Fixtures.await("job completes", Duration.ofSeconds(150),
                () -> store.job(job).orElseThrow().state() == JobState.JOB_STATE_COMPLETED);

        RoundSummary round = jobs.rounds(job).get(0);
        assertEquals(RoundState.ROUND_STATE_COMPLETED, round.getState());
        assertEquals(n, round.getSelectedNodesCount());
        for (SecureSimulatedClient c : clients) {
            assertEquals(List.of(), c.errors, c.node.nodeName() + " (" + c.behaviour + ") failed");
            boolean in = round.getContributingNodesList().contains(c.node.nodeId());
            boolean expectedIn = switch (c.behaviour) {
                case HONEST, DROP_AT_4, IMPERSONATES_THEN_HONEST, DUPLICATE_UPLOAD -> true;
                default -> false;
            };
            assertEquals(expectedIn, in, c.node.nodeName() + " (" + c.behaviour + ") contributed?");
        }
        // Where the round spent its time and who dropped where, as the dashboard shows it.
        assertEquals(List.of("advertise_keys", "share_keys", "masked_input", "unmask", "aggregate"),
                round.getStagesList().stream().map(io.fedlora.proto.v1.StageTiming::getStage).toList());
        List<Behaviour> dropAt = List.of(Behaviour.DROP_AT_1, Behaviour.DROP_AT_2, Behaviour.DROP_AT_3, Behaviour.DROP_AT_4);
        for (SecureSimulatedClient c : clients) {
            int stage = dropAt.indexOf(c.behaviour);
            if (stage >= 0) {
                assertTrue(round.getStages(stage).getDroppedNodesList().contains(c.node.nodeId()),
                        c.node.nodeName() + " (" + c.behaviour + ") dropped at " + round.getStages(stage).getStage());
            }
        }
        assertTrue(round.getStagesList().stream().allMatch(st -> st.getDurationMs() >= 0));
        assertRefused(Behaviour.FORGED_SIGNATURE, CoordinatorException.InvalidArgument.class, "BAD_SIGNATURE");
        assertRefused(Behaviour.REPLAYED_FROM_ANOTHER_ROUND, CoordinatorException.FailedPrecondition.class, "WRONG_ROUND");
        assertRefused(Behaviour.IMPERSONATES_THEN_HONEST, CoordinatorException.InvalidArgument.class,
                "inside a call from node");
        assertRefused(Behaviour.WRONG_LENGTH, CoordinatorException.InvalidArgument.class, "element_count");
        assertRefused(Behaviour.DUPLICATE_UPLOAD, CoordinatorException.AlreadyExists.class, "already sent");

        int[] sum = new int[cfg.getAdapterLayout().getTensorsList().stream()
                .mapToInt(t -> (int) (t.getShape(0) * t.getShape(1))).sum() + 5];
        long weight = 0;
        List<io.fedlora.crypto.encoding.EvalScore> scores = new ArrayList<>();
        for (SecureSimulatedClient c : clients) {
            if (round.getContributingNodesList().contains(c.node.nodeId())) {
                int[] e = c.encoded.get(round.getRound());
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += e[i];
                }
                weight += c.node.numExamples();
                if (SecureSimulatedClient.heldOut(c.node) != null) {
                    scores.add(SecureSimulatedClient.heldOut(c.node));
                }
            }
        }
        ByteBuffer le = ByteBuffer.allocate(sum.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        le.asIntBuffer().put(sum);
        assertEquals(Sha256.hex(le.array()), round.getAggregateSumSha256());
        assertEquals(weight, round.getTotalExamples());
        assertEquals(1.5, round.getTrainLoss(), 1e-3);
        // The held-out mean came out of the same masked sum: only the cohort's mean, each node once.
        assertEquals(scores.size(), round.getEval().getNodes());
        assertEquals(scores.stream().mapToDouble(s -> s.exactMatch()).average().orElseThrow(),
                round.getEval().getExactMatch(), 1e-5);
        assertEquals(scores.stream().mapToDouble(s -> s.loss()).average().orElseThrow(), round.getEval().getLoss(), 1e-5);
        float[] published = FlatAdapter.fromSafetensors(cfg.getAdapterLayout(), jobs.adapter(job, 1).data()).values();
        float[] initial = FlatAdapter.fromSafetensors(cfg.getAdapterLayout(), jobs.adapter(job, 0).data()).values();
        assertFalse(java.util.Arrays.equals(published, initial));
        assertTrue(round.getSecaggThreshold() > round.getSecaggNeighbours() / 2, "t > k/2");
    }

    private void assertRefused(Behaviour b, Class<? extends RuntimeException> type, String text) {
        SecureSimulatedClient c = clients.stream().filter(x -> x.behaviour == b).findFirst().orElseThrow();
        assertFalse(c.refusals.isEmpty(), b + " was refused");
        RuntimeException e = c.refusals.get(0);
        assertTrue(type.isInstance(e) && e.getMessage().contains(text), b + ": " + e);
    }
}
