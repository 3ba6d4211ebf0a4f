package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.Fixtures;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2StoreTest {

    @TempDir
    Path dir;

    @Test
    void stateSurvivesReopen() {
        String sha0 = "00".repeat(32);
        String sha1 = "11".repeat(32);
        try (H2Store s = H2Store.open(dir)) {
            s.insertJob(new JobRecord("j1", Fixtures.config(2, 2, 1, 5), JobState.JOB_STATE_RUNNING, 0, 0, sha0, 1000, ""),
                    new AdapterVersion("j1", 0, sha0, 10, 1000));
            s.insertRound(RoundSummary.newBuilder().setJobId("j1").setRound(1).setState(RoundState.ROUND_STATE_RUNNING)
                    .addSelectedNodes("a").build());
            s.completeRound(RoundSummary.newBuilder().setJobId("j1").setRound(1).setState(RoundState.ROUND_STATE_COMPLETED)
                    .addSelectedNodes("a").addContributingNodes("a").setAdapterVersion(1).build(),
                    new AdapterVersion("j1", 1, sha1, 12, 2000));
            s.insertRound(RoundSummary.newBuilder().setJobId("j1").setRound(2).setState(RoundState.ROUND_STATE_RUNNING).build());
            s.upsertNode(new NodeRecord("n1", "alpha", List.of(Fixtures.MODEL_SHA), 50, "cpu", 5));
            s.upsertNode(new NodeRecord("n1", "alpha2", List.of(), 60, "cuda", 6));
        }
        try (H2Store s = H2Store.open(dir)) {
            JobRecord j = s.job("j1").orElseThrow();
            assertEquals(1, j.completedRounds());
            assertEquals(1, j.latestVersion());
            assertEquals(sha1, j.latestSha256());
            assertEquals(Fixtures.config(2, 2, 1, 5), j.config());
            assertEquals(2, s.lastRound("j1"));
            assertEquals(1, s.abortRunningRounds("coordinator restarted", 3000));
            List<RoundSummary> rounds = s.rounds("j1");
            assertEquals(RoundState.ROUND_STATE_COMPLETED, rounds.get(0).getState());
            assertEquals(RoundState.ROUND_STATE_ABORTED, rounds.get(1).getState());
            assertEquals("coordinator restarted", rounds.get(1).getAbortReason());
            assertEquals(sha1, s.adapterVersion("j1", 1).orElseThrow().sha256());
            assertTrue(s.adapterVersion("j1", 2).isEmpty());
            NodeRecord n = s.node("n1").orElseThrow();
            assertEquals("alpha2", n.nodeName());
            assertEquals(List.of(), n.baseModels());
            assertEquals(1, s.nodes().size());
        }
    }

    @Test
    void nodeMetricsArePerJobRoundAndNodeAndSurviveReopen() {
        try (H2Store s = H2Store.open(dir)) {
            s.recordNodeMetrics("j", 1, "n1", java.util.Map.of("dp_epsilon_job", 0.5, "dp_epsilon_overall", 0.7), 1);
            s.recordNodeMetrics("j", 1, "n1", java.util.Map.of("dp_epsilon_job", 0.6), 2);
            s.recordNodeMetrics("j", 2, "n1", java.util.Map.of("dp_epsilon_job", 0.9), 3);
        }
        try (H2Store s = H2Store.open(dir)) {
            assertEquals(java.util.Map.of("dp_epsilon_job", 0.6, "dp_epsilon_overall", 0.7), s.nodeMetrics("j", 1, "n1"));
            assertEquals(java.util.Map.of("dp_epsilon_job", 0.9), s.nodeMetrics("j", 2, "n1"));
            assertEquals(java.util.Map.of(), s.nodeMetrics("j", 2, "n2"));
        }
    }

    @Test
    void blobsAreContentAddressedAndVerified() throws Exception {
        FileBlobStore b = new FileBlobStore(dir.resolve("blobs"));
        byte[] data = "adapter bytes".getBytes();
        String sha = b.put(data);
        assertEquals(sha, b.put(data));
        assertArrayEquals(data, b.get(sha));
        Files.write(dir.resolve("blobs").resolve(sha), "tampered".getBytes());
        StoreException e = assertThrows(StoreException.class, () -> b.get(sha));
        assertTrue(e.getMessage().contains("corrupted"));
        assertThrows(StoreException.class, () -> b.get("ee".repeat(32)));
    }
}
