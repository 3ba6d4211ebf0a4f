package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraLayouts.LlamaDims;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.FileBlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each way a job's stored state can be broken yields its own reason, naming the version and a
 * short sha256, over the real H2 store and blob directory. A job at version 2, published by hand
 * as the round loop would.
 */
class ResumeCheckTest {

    @TempDir
    Path dir;

    private Store store;
    private FileBlobStore blobs;
    private String job;

    @BeforeEach
    void jobAtVersionTwo() {
        store = DatabaseSettings.embedded(dir).open();
        blobs = new FileBlobStore(dir.resolve("blobs"));
        job = new Jobs(store, blobs, InstantSource.system(), true).create(Fixtures.config(5, 2, 2, 600)).jobId();
        assertTrue(store.transitionJobState(job, Set.of(JobState.JOB_STATE_CREATED), JobState.JOB_STATE_RUNNING, ""));
        publish(1, "");
        publish(2, blobs.put("moments of version 2".getBytes(StandardCharsets.UTF_8)));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private void publish(int version, String stateSha) {
        byte[] file = new FlatAdapter(Fixtures.smallLayout(), Fixtures.delta("v", version, 512)).toSafetensors();
        String sha = blobs.put(file);
        store.insertRound(RoundSummary.newBuilder().setJobId(job).setRound(version)
                .setState(RoundState.ROUND_STATE_RUNNING).build());
        assertTrue(store.completeRound(RoundSummary.newBuilder().setJobId(job).setRound(version)
                .setState(RoundState.ROUND_STATE_COMPLETED).setAdapterVersion(version).setAdapterSha256(sha).build(),
                new AdapterVersion(job, version, sha, file.length, 1000, stateSha)));
    }

    private List<String> problems() {
        JobRecord j = store.job(job).orElseThrow();
        return ResumeCheck.problems(j, store, blobs);
    }

    private AdapterVersion latest() {
        return store.adapterVersion(job, 2).orElseThrow();
    }

    private String short8(String sha) {
        return sha.substring(0, 8) + "…";
    }

    /** Writes the database directly, as someone with access to it could; the store is closed meanwhile. */
    private void sql(String... statements) throws Exception {
        store.close();
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.toAbsolutePath().resolve("fedlora"),
                "fedlora", ""); Statement st = c.createStatement()) {
            for (String q : statements) {
                st.execute(q);
            }
        }
        store = DatabaseSettings.embedded(dir).open();
    }

    @Test
    void aConsistentJobHasNoProblems() {
        assertEquals(List.of(), problems());
    }

    @Test
    void theLatestAdapterMissingFromTheBlobStore() throws Exception {
        Files.delete(dir.resolve("blobs").resolve(latest().sha256()));
        assertEquals(List.of("adapter version 2 (sha256 " + short8(latest().sha256())
                + ") is missing from the blob store"), problems());
    }

    @Test
    void theLatestAdapterCorrupted() throws Exception {
        Files.write(dir.resolve("blobs").resolve(latest().sha256()), new byte[] {1, 2, 3});
        assertEquals(List.of("adapter version 2 (sha256 " + short8(latest().sha256())
                + ") is corrupted in the blob store: its bytes no longer match that sha256"), problems());
    }

    @Test
    void anAdapterOfAnotherLayout() throws Exception {
        byte[] other = FlatAdapter.initial(LoraLayouts.llama(new LlamaDims(2, 16, 32, 2, 2, 8), 2,
                List.of("q_proj", "v_proj")), 1).toSafetensors();
        String sha = blobs.put(other);
        sql("UPDATE adapter_versions SET sha256 = '" + sha + "' WHERE job_id = '" + job + "' AND version = 2",
                "UPDATE jobs SET latest_sha256 = '" + sha + "' WHERE job_id = '" + job + "'");
        List<String> p = problems();
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("adapter version 2 (sha256 " + short8(sha)
                + ") does not fit the job's adapter_layout: "), p.get(0));
    }

    @Test
    void theStrategyStateMissing() throws Exception {
        String state = latest().strategyStateSha256();
        Files.delete(dir.resolve("blobs").resolve(state));
        assertEquals(List.of("the strategy state of adapter version 2 (the server optimizer's moments, sha256 "
                + short8(state) + ") is missing from the blob store"), problems());
    }

    @Test
    void aGapInTheVersions() throws Exception {
        sql("DELETE FROM adapter_versions WHERE job_id = '" + job + "' AND version = 1");
        assertEquals(List.of("the store has no record of adapter version 1 (the job is at version 2; versions must"
                + " run from 0 without gaps)"), problems());
    }

    @Test
    void theLatestVersionsRecordGone() throws Exception {
        sql("DELETE FROM adapter_versions WHERE job_id = '" + job + "' AND version = 2");
        // Its strategy state is named only there, so nothing more can be said of it.
        assertEquals(List.of("the store has no record of adapter version 2 (the job is at version 2; versions must"
                + " run from 0 without gaps)"), problems());
    }

    @Test
    void aVersionBeyondTheLatest() throws Exception {
        sql("UPDATE jobs SET latest_version = 1, completed_rounds = 1, latest_sha256 = (SELECT sha256 FROM"
                + " adapter_versions WHERE job_id = '" + job + "' AND version = 1) WHERE job_id = '" + job + "'");
        assertEquals(List.of("the store records adapter version 2 beyond the job's latest version 1",
                "the job counts 1 completed rounds but the store records 2, publishing versions 1, 2"), problems());
    }

    @Test
    void aCompletedRoundCountThatDisagrees() throws Exception {
        sql("UPDATE jobs SET completed_rounds = 3 WHERE job_id = '" + job + "'");
        assertEquals(List.of("the job counts 3 completed rounds but its latest adapter version is 2 (each completed"
                + " round publishes one version)", "the job counts 3 completed rounds but the store records 2,"
                + " publishing versions 1, 2"), problems());
    }

    @Test
    void theJobNamingAnotherAdapterThanItsLatestVersion() throws Exception {
        String v1 = store.adapterVersion(job, 1).orElseThrow().sha256();
        sql("UPDATE jobs SET latest_sha256 = '" + v1 + "' WHERE job_id = '" + job + "'");
        assertEquals(List.of("adapter version 2 is recorded as sha256 " + short8(latest().sha256())
                + " but the job names " + short8(v1) + " as its latest adapter"), problems());
    }
}
