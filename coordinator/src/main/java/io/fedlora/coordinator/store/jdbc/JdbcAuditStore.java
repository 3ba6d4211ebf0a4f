package io.fedlora.coordinator.store.jdbc;

import io.fedlora.coordinator.store.AuditChain;
import io.fedlora.coordinator.store.AuditRecord;
import io.fedlora.coordinator.store.AuditStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/** The hash-chained audit log in the table {@code audit_log}. */
final class JdbcAuditStore implements AuditStore {

    static final String COLUMNS = "seq, at_ms, actor, actor_role, action, target, outcome, detail, previous_hash,"
            + " entry_hash";

    private final Transactions tx;
    /** Orders this process's appends without holding pool connections that wait on the database lock. */
    private final ReentrantLock appends = new ReentrantLock();

    JdbcAuditStore(Transactions tx) {
        this.tx = tx;
    }

    @Override
    public long appendAudit(AuditRecord e) {
        AuditRecord clipped = new AuditRecord(0, e.atUnixMs(), clip(e.actor(), 64), clip(e.actorRole(), 16),
                clip(e.action(), 128), clip(e.target(), 512), clip(e.outcome(), 32), clip(e.detail(), 1024));
        appends.lock();
        try {
            return tx.run("append to the audit log", sql -> appendChained(sql, clipped));
        } finally {
            appends.unlock();
        }
    }

    /**
     * Inserts {@code e} after the last entry. The hash covers the sequence number the database
     * assigns, so it is set right after the insert, in the same transaction, under the dialect's
     * audit lock: entries are chained one at a time, whichever process writes them.
     */
    private long appendChained(Sql sql, AuditRecord e) throws SQLException {
        tx.dialect().lockAuditLog(sql.connection());
        String previous = sql.queryOne("SELECT entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                rs -> rs.getString(1)).orElse(AuditChain.GENESIS);
        long seq = sql.insertReturningKey("INSERT INTO audit_log (at_ms, actor, actor_role, action, target, outcome,"
                + " detail, previous_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "seq", e.atUnixMs(), e.actor(),
                e.actorRole(), e.action(), e.target(), e.outcome(), e.detail(), previous);
        sql.update("UPDATE audit_log SET entry_hash = ? WHERE seq = ?", AuditChain.hash(previous, seq, e), seq);
        return seq;
    }

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    @Override
    public List<AuditRecord> auditLog(long afterSeq, int limit) {
        return tx.run("read the audit log", sql -> sql.query("SELECT " + COLUMNS
                + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", JdbcAuditStore::entry, afterSeq, limit));
    }

    static AuditRecord entry(ResultSet rs) throws SQLException {
        return new AuditRecord(rs.getLong("seq"), rs.getLong("at_ms"), rs.getString("actor"), rs.getString("actor_role"),
                rs.getString("action"), rs.getString("target"), rs.getString("outcome"), rs.getString("detail"),
                rs.getString("previous_hash"), rs.getString("entry_hash"));
    }
}
