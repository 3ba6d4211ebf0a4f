package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.auth.AuditTrail;
import io.grpc.Status;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log's hash chain against someone who writes the database file directly: an edited,
 * deleted or inserted row is named by verification; an untouched log verifies to its head.
 */
class AuditChainTest {

    @TempDir
    Path dir;

    @Test
    void anUntouchedLogVerifiesAndEachEntryChainsToTheOneBefore() {
        List<AuditRecord> log = writeEntries(5);
        try (H2Store s = H2Store.open(dir)) {
            AuditChain.Verification v = new AuditTrail(s, InstantSource.system()).verify();
            assertTrue(v.intact(), v.toString());
            assertEquals(5, v.entries());
            assertEquals(log.get(4).seq(), v.headSeq());
            assertEquals(log.get(4).hash(), v.headHash());
        }
        assertEquals(AuditChain.GENESIS, log.get(0).previousHash());
        for (int i = 1; i < log.size(); i++) {
            assertEquals(log.get(i - 1).hash(), log.get(i).previousHash());
        }
    }

    @Test
    void anEditedRowIsNamed() throws Exception {
        List<AuditRecord> log = writeEntries(5);
        long edited = log.get(2).seq();
        sql("UPDATE audit_log SET actor = 'someone-else' WHERE seq = " + edited);
        AuditChain.Verification v = verify();
        assertEquals(edited, v.firstBreak().orElseThrow().seq());
        assertTrue(v.firstBreak().get().reason().contains("was changed"), v.toString());
        assertEquals(2, v.entries(), "the entries before it are intact");
    }

    @Test
    void aDeletedRowIsNamedByTheGapItLeaves() throws Exception {
        List<AuditRecord> log = writeEntries(5);
        sql("DELETE FROM audit_log WHERE seq = " + log.get(2).seq());
        AuditChain.Verification v = verify();
        assertEquals(log.get(3).seq(), v.firstBreak().orElseThrow().seq());
        assertTrue(v.firstBreak().get().reason().contains("does not follow entry " + log.get(1).seq()), v.toString());
    }

    @Test
    void aRewrittenRowWithARecomputedHashBreaksTheLinkAfterIt() throws Exception {
        List<AuditRecord> log = writeEntries(4);
        AuditRecord target = log.get(1);
        AuditRecord forged = new AuditRecord(target.seq(), target.atUnixMs(), "nobody", target.actorRole(),
                target.action(), target.target(), target.outcome(), target.detail());
        String h = AuditChain.hash(target.previousHash(), target.seq(), forged);
        sql("UPDATE audit_log SET actor = 'nobody', entry_hash = '" + h + "' WHERE seq = " + target.seq());
        AuditChain.Verification v = verify();
        assertEquals(log.get(2).seq(), v.firstBreak().orElseThrow().seq());
        assertTrue(v.firstBreak().get().reason().contains("entry " + target.seq() + " was rewritten"), v.toString());
    }

    @Test
    void aRowInsertedWithoutAHashIsNamed() throws Exception {
        writeEntries(2);
        sql("INSERT INTO audit_log (at_ms, actor, actor_role, action, target, outcome, detail) VALUES"
                + " (9, 'x', 'admin', 'AdminService/CreateJob', '', 'OK', '')");
        AuditChain.Verification v = verify();
        assertTrue(v.firstBreak().orElseThrow().reason().contains("no valid hash"), v.toString());
    }

    @Test
    void migrationChainsTheEntriesWrittenBeforeTheChainExisted() throws Exception {
        writeEntries(3);
        // Back to schema 4: the columns gone, as an older coordinator left the database.
        sql("ALTER TABLE audit_log DROP COLUMN previous_hash", "ALTER TABLE audit_log DROP COLUMN entry_hash",
                "DELETE FROM schema_version WHERE version = 5");
        try (H2Store s = H2Store.open(dir)) {
            List<AuditRecord> log = s.auditLog(0, 10);
            assertEquals(3, log.size());
            assertFalse(log.get(2).hash().isEmpty());
            s.appendAudit(new AuditRecord(0, 50, "local-admin", "admin", "AdminService/StartJob", "job_id=j", "OK", ""));
            AuditChain.Verification v = new AuditTrail(s, InstantSource.system()).verify();
            assertTrue(v.intact(), v.toString());
            assertEquals(4, v.entries());
        }
    }

    private List<AuditRecord> writeEntries(int n) {
        try (H2Store s = H2Store.open(dir)) {
            AuditTrail trail = new AuditTrail(s, InstantSource.system());
            for (int i = 0; i < n; i++) {
                trail.record("local-admin", "admin", "TrustAdminService/Revoke", "subject_id=node-" + i,
                        i % 2 == 0 ? Status.OK : Status.NOT_FOUND.withDescription("no certificate — ünïcode"));
            }
            return s.auditLog(0, 100);
        }
    }

    private AuditChain.Verification verify() {
        try (H2Store s = H2Store.open(dir)) {
            return new AuditTrail(s, InstantSource.system()).verify();
        }
    }

    /** Writes the database file directly, as someone with access to it (not through the store) could. */
    private void sql(String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.toAbsolutePath().resolve("fedlora"),
                "fedlora", ""); Statement st = c.createStatement()) {
            for (String q : statements) {
                st.execute(q);
            }
        }
    }
}
