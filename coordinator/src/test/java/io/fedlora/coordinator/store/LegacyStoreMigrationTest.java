package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.auth.AuditTrail;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store written by the coordinator before Flyway (the hand-kept {@code schema_version}, at 5; the
 * file in {@code legacy-v5/} was made by that code, see its README) opens with today's store with
 * nothing lost, and its audit chain still verifies to the head hash it had.
 */
class LegacyStoreMigrationTest {

    /** The audit head the old code reported when it wrote the file. */
    private static final String LEGACY_AUDIT_HEAD = "fcc0d7b823b33df8b536a91b2e0ad8b45487726db899b0e5eb4cc2c09f8c9764";

    @TempDir
    Path dir;

    @BeforeEach
    void copyTheLegacyFile() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("legacy-v5/fedlora.mv.db")) {
            Files.copy(in, dir.resolve("fedlora.mv.db"));
        }
    }

    @Test
    void aVersion5StoreIsTakenOverWithEveryRowKept() throws Exception {
        try (Store s = DatabaseSettings.embedded(dir).open()) {
            assertEverythingKept(s);
        }
        assertEquals(List.of("1:5:BASELINE", "2:6:SQL", "3:7:SQL"), history());
        assertFalse(tables().contains("SCHEMA_VERSION"), "the hand-kept version table is retired");
        try (Store s = DatabaseSettings.embedded(dir).open()) {
            assertEverythingKept(s);
            s.appendAudit(new AuditRecord(0, 9_000, "local-admin", "admin", "AdminService/StartJob", "job_id=job-legacy",
                    "OK", ""));
            AuditChain.Verification v = new AuditTrail(s, InstantSource.system()).verify();
            assertTrue(v.intact(), v.toString());
            assertEquals(5, v.entries());
            assertEquals(1, s.abortRunningRounds("coordinator restarted", 9_000), "the interrupted round 3");
        }
        assertEquals(List.of("1:5:BASELINE", "2:6:SQL", "3:7:SQL"), history(), "opening again migrates nothing");
    }

    @Test
    void aVersion4StoreGetsItsAuditLogChainedByTheMigration() throws Exception {
        // Back to schema 4, as a coordinator older than the audit chain left the database.
        sql("ALTER TABLE audit_log DROP COLUMN previous_hash", "ALTER TABLE audit_log DROP COLUMN entry_hash",
                "DELETE FROM schema_version WHERE version = 5");
        try (Store s = DatabaseSettings.embedded(dir).open()) {
            assertEverythingKept(s);
        }
        assertEquals(List.of("1:4:BASELINE", "2:5:JDBC", "3:6:SQL", "4:7:SQL"), history());
    }

    private static void assertEverythingKept(Store s) {
        assertEquals(List.of("job-legacy", "job-failed"), s.jobs().stream().map(JobRecord::jobId).toList());
        JobRecord legacy = s.job("job-legacy").orElseThrow();
        assertEquals("legacy job", legacy.config().getName());
        assertEquals(Fixtures.config(3, 2, 1, 5).getAdapterLayout(), legacy.config().getAdapterLayout());
        assertEquals(JobState.JOB_STATE_RUNNING, legacy.state());
        assertEquals(2, legacy.completedRounds());
        assertEquals(2, legacy.latestVersion());
        assertEquals("2c".repeat(32), legacy.latestSha256());
        JobRecord failed = s.job("job-failed").orElseThrow();
        assertEquals(JobState.JOB_STATE_FAILED, failed.state());
        assertEquals("base model gone", failed.failureReason());

        List<RoundSummary> rounds = s.rounds("job-legacy");
        assertEquals(3, rounds.size());
        assertEquals(RoundState.ROUND_STATE_COMPLETED, rounds.get(1).getState());
        assertEquals(List.of("node-a", "node-b"), rounds.get(1).getContributingNodesList());
        assertEquals(2, rounds.get(1).getAdapterVersion());
        assertEquals(3, s.lastRound("job-legacy"));
        assertEquals(new AdapterVersion("job-legacy", 1, "1b".repeat(32), 101, 2_000),
                s.adapterVersion("job-legacy", 1).orElseThrow());
        assertEquals("0a".repeat(32), s.adapterVersion("job-failed", 0).orElseThrow().sha256());

        assertEquals(List.of(new NodeRecord("node-a", "hospital-a", List.of(Fixtures.MODEL_SHA), 500, "cpu", 4_000,
                "aa".repeat(32)), new NodeRecord("node-b", "hospital-b", List.of(Fixtures.MODEL_SHA,
                Fixtures.OTHER_MODEL_SHA), 700, "cuda", 4_100, "bb".repeat(32))), s.nodes());
        assertEquals(Map.of("dp_epsilon_job", 0.75), s.nodeMetrics("job-legacy", 2, "node-a"));

        assertEquals("node-a", s.enrollmentToken("e1".repeat(32)).orElseThrow().usedBy());
        assertEquals(1, s.outstandingEnrollmentTokens(500));
        assertEquals(List.of(new CertificateRecord("01", "local-admin", "local-admin", CertificateRole.ADMIN, "", 50,
                9_000_000), new CertificateRecord("0a1f", "node-a", "hospital-a", CertificateRole.AGENT, "aa".repeat(32),
                200, 9_000_000)), s.certificates());
        assertEquals(List.of(new RevocationRecord("node-x", 300, "local-admin", "laptop stolen")), s.revocations());

        List<AuditRecord> log = s.auditLog(0, 100);
        assertTrue(log.size() >= 4);
        assertEquals("AdminService/CreateJob", log.get(0).action());
        assertEquals("UNAUTHENTICATED", log.get(2).outcome());
        assertEquals(LEGACY_AUDIT_HEAD, log.get(3).hash());
        AuditChain.Verifier verifier = new AuditChain.Verifier();
        log.forEach(verifier::check);
        assertTrue(verifier.result().intact(), verifier.result().toString());
    }

    /** Flyway's history as "rank:version:type". */
    private List<String> history() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT \"installed_rank\", \"version\", \"type\" FROM \"flyway_schema_history\" WHERE \"installed_rank\" > 0 ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getInt(1) + ":" + rs.getString(2) + ":" + rs.getString(3));
            }
        }
        return out;
    }

    private List<String> tables() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getTables(null, "PUBLIC", "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                out.add(rs.getString("TABLE_NAME"));
            }
        }
        return out;
    }

    private void sql(String... statements) throws Exception {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String q : statements) {
                st.execute(q);
            }
        }
    }

    private Connection connect() throws Exception {
        return DriverManager.getConnection("jdbc:h2:file:" + dir.toAbsolutePath().resolve("fedlora"), "fedlora", "");
    }
}
