package io.fedlora.coordinator.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The embedded default store: an H2 file database {@code <dataDir>/fedlora} over plain JDBC. The
 * schema is versioned: each entry of {@link #MIGRATIONS} runs once, in order, in a transaction.
 * One connection, used under this object's lock: the coordinator writes a few rows per round.
 */
public final class H2Store implements Store {

    /** Index i holds the statements that move the schema from version i to i+1. Append only. */
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            """
            CREATE TABLE jobs (
              job_id VARCHAR(64) PRIMARY KEY,
              config VARBINARY NOT NULL,
              state VARCHAR(32) NOT NULL,
              completed_rounds INT NOT NULL,
              latest_version INT NOT NULL,
              latest_sha256 CHAR(64) NOT NULL,
              created_ms BIGINT NOT NULL,
              failure_reason VARCHAR NOT NULL)""",
            """
            CREATE TABLE rounds (
              job_id VARCHAR(64) NOT NULL REFERENCES jobs(job_id),
              round INT NOT NULL,
              state VARCHAR(32) NOT NULL,
              summary VARBINARY NOT NULL,
              PRIMARY KEY (job_id, round))""",
            """
            CREATE TABLE adapter_versions (
              job_id VARCHAR(64) NOT NULL REFERENCES jobs(job_id),
              version INT NOT NULL,
              sha256 CHAR(64) NOT NULL,
              size_bytes BIGINT NOT NULL,
              created_ms BIGINT NOT NULL,
              PRIMARY KEY (job_id, version))""",
            """
            CREATE TABLE nodes (
              node_id VARCHAR(64) PRIMARY KEY,
              node_name VARCHAR NOT NULL,
              base_models VARCHAR NOT NULL,
              num_examples BIGINT NOT NULL,
              device VARCHAR NOT NULL,
              last_seen_ms BIGINT NOT NULL)"""),
        List.of("""
            CREATE TABLE node_metrics (
              job_id VARCHAR(64) NOT NULL,
              round INT NOT NULL,
              node_id VARCHAR(64) NOT NULL,
              name VARCHAR(64) NOT NULL,
              metric_value DOUBLE PRECISION NOT NULL,
              reported_ms BIGINT NOT NULL,
              PRIMARY KEY (job_id, round, node_id, name))"""),
        List.of("ALTER TABLE nodes ADD COLUMN identity_key VARCHAR(64) DEFAULT '' NOT NULL"),
        List.of("""
            CREATE TABLE enrollment_tokens (
              token_sha256 CHAR(64) PRIMARY KEY,
              name VARCHAR(64) NOT NULL,
              role VARCHAR(16) NOT NULL,
              created_ms BIGINT NOT NULL,
              expires_ms BIGINT NOT NULL,
              created_by VARCHAR(64) NOT NULL,
              used_ms BIGINT DEFAULT 0 NOT NULL,
              used_by VARCHAR(64) DEFAULT '' NOT NULL)""",
            """
            CREATE TABLE certificates (
              serial VARCHAR(40) PRIMARY KEY,
              subject_id VARCHAR(64) NOT NULL,
              name VARCHAR(64) NOT NULL,
              role VARCHAR(16) NOT NULL,
              identity_key VARCHAR(64) DEFAULT '' NOT NULL,
              issued_ms BIGINT NOT NULL,
              expires_ms BIGINT NOT NULL)""",
            "CREATE INDEX certificates_subject ON certificates(subject_id)",
            """
            CREATE TABLE revocations (
              subject_id VARCHAR(64) PRIMARY KEY,
              revoked_ms BIGINT NOT NULL,
              revoked_by VARCHAR(64) NOT NULL,
              reason VARCHAR(256) NOT NULL)""",
            """
            CREATE TABLE audit_log (
              seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              at_ms BIGINT NOT NULL,
              actor VARCHAR(64) NOT NULL,
              actor_role VARCHAR(16) NOT NULL,
              action VARCHAR(128) NOT NULL,
              target VARCHAR(512) NOT NULL,
              outcome VARCHAR(32) NOT NULL,
              detail VARCHAR(1024) NOT NULL)"""),
        // The audit log's hash chain (AuditChain); rows already there are chained by chainAuditLog().
        List.of("ALTER TABLE audit_log ADD COLUMN previous_hash VARCHAR(64) DEFAULT '' NOT NULL",
                "ALTER TABLE audit_log ADD COLUMN entry_hash VARCHAR(64) DEFAULT '' NOT NULL"));

    /** The schema version that added the audit chain; migrating to it chains the rows already there. */
    private static final int AUDIT_CHAIN_VERSION = 5;

    private final Connection conn;
    private boolean closed;

    private H2Store(Connection conn) {
        this.conn = conn;
    }

    /** Opens (creating if needed) the database under {@code dataDir} and brings its schema up to date. */
    public static H2Store open(Path dataDir) {
        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fedlora") + ";DB_CLOSE_ON_EXIT=FALSE";
        try {
            Connection c = DriverManager.getConnection(url, "fedlora", "");
            H2Store s = new H2Store(c);
            try {
                s.migrate();
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
            return s;
        } catch (SQLException e) {
            throw new StoreException("cannot open the store at " + dataDir, e);
        }
    }

    public static int schemaVersion() {
        return MIGRATIONS.size();
    }

    private synchronized void migrate() throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)");
            int current;
            try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM schema_version")) {
                rs.next();
                current = rs.getInt(1);
            }
            if (current > MIGRATIONS.size()) {
                throw new StoreException("store schema version " + current + " is newer than this coordinator ("
                        + MIGRATIONS.size() + ")");
            }
            for (int v = current; v < MIGRATIONS.size(); v++) {
                conn.setAutoCommit(false);
                try {
                    for (String sql : MIGRATIONS.get(v)) {
                        st.execute(sql);
                    }
                    if (v + 1 == AUDIT_CHAIN_VERSION) {
                        chainAuditLog();
                    }
                    st.execute("INSERT INTO schema_version VALUES (" + (v + 1) + ")");
                    conn.commit();
                } catch (SQLException e) {
                    conn.rollback();
                    throw e;
                } finally {
                    conn.setAutoCommit(true);
                }
            }
        }
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    private synchronized <T> T tx(String what, SqlWork<T> work) {
        if (closed) {
            // Late callers during shutdown (e.g. a stream's cancel handler): fail without touching
            // JDBC, which would otherwise leave an H2 trace file behind.
            throw new StoreException("store is closed; cannot " + what, null);
        }
        try {
            conn.setAutoCommit(false);
            try {
                T t = work.run();
                conn.commit();
                return t;
            } catch (SQLException | RuntimeException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException("store failed to " + what, e);
        }
    }

    @Override
    public void insertJob(JobRecord j, AdapterVersion initial) {
        tx("insert job " + j.jobId(), () -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, j.jobId());
                ps.setBytes(2, j.config().toByteArray());
                ps.setString(3, j.state().name());
                ps.setInt(4, j.completedRounds());
                ps.setInt(5, j.latestVersion());
                ps.setString(6, j.latestSha256());
                ps.setLong(7, j.createdUnixMs());
                ps.setString(8, j.failureReason());
                ps.executeUpdate();
            }
            insertVersion(initial);
            return null;
        });
    }

    private void insertVersion(AdapterVersion v) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO adapter_versions VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, v.jobId());
            ps.setInt(2, v.version());
            ps.setString(3, v.sha256());
            ps.setLong(4, v.sizeBytes());
            ps.setLong(5, v.createdUnixMs());
            ps.executeUpdate();
        }
    }

    @Override
    public Optional<JobRecord> job(String jobId) {
        return tx("read job", () -> {
            List<JobRecord> l = queryJobs("SELECT * FROM jobs WHERE job_id = ?", jobId);
            return l.stream().findFirst();
        });
    }

    @Override
    public List<JobRecord> jobs() {
        return tx("list jobs", () -> queryJobs("SELECT * FROM jobs ORDER BY created_ms, job_id"));
    }

    private List<JobRecord> queryJobs(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            bind(ps, args);
            List<JobRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new JobRecord(rs.getString("job_id"), parseConfig(rs.getBytes("config")),
                            JobState.valueOf(rs.getString("state")), rs.getInt("completed_rounds"),
                            rs.getInt("latest_version"), rs.getString("latest_sha256"), rs.getLong("created_ms"),
                            rs.getString("failure_reason")));
                }
            }
            return out;
        }
    }

    private static JobConfig parseConfig(byte[] b) {
        try {
            return JobConfig.parseFrom(b);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored job config is unreadable", e);
        }
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
    }

    private int update(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    @Override
    public void setJobState(String jobId, JobState state, String failureReason) {
        tx("update job state", () -> update("UPDATE jobs SET state = ?, failure_reason = ? WHERE job_id = ?",
                state.name(), failureReason == null ? "" : failureReason, jobId));
    }

    @Override
    public boolean transitionJobState(String jobId, java.util.Set<JobState> from, JobState to, String reason) {
        if (from.isEmpty()) {
            return false;
        }
        List<Object> args = new ArrayList<>(List.of(to.name(), reason == null ? "" : reason, jobId));
        from.forEach(f -> args.add(f.name()));
        String in = String.join(", ", java.util.Collections.nCopies(from.size(), "?"));
        return tx("change job state", () -> update("UPDATE jobs SET state = ?, failure_reason = ? WHERE job_id = ?"
                + " AND state IN (" + in + ")", args.toArray()) == 1);
    }

    @Override
    public void insertRound(RoundSummary r) {
        tx("insert round", () -> update("INSERT INTO rounds VALUES (?, ?, ?, ?)",
                r.getJobId(), r.getRound(), r.getState().name(), r.toByteArray()));
    }

    @Override
    public void endRound(RoundSummary r) {
        tx("end round", () -> updateRound(r));
    }

    private int updateRound(RoundSummary r) throws SQLException {
        int n = update("UPDATE rounds SET state = ?, summary = ? WHERE job_id = ? AND round = ?",
                r.getState().name(), r.toByteArray(), r.getJobId(), r.getRound());
        if (n != 1) {
            throw new StoreException("round " + r.getRound() + " of job " + r.getJobId() + " was never started");
        }
        return n;
    }

    @Override
    public boolean completeRound(RoundSummary r, AdapterVersion published) {
        return tx("complete round", () -> {
            // The job's state is checked in the same transaction: once it is CANCELLED, nothing is published.
            int n = update("UPDATE jobs SET completed_rounds = completed_rounds + 1, latest_version = ?,"
                    + " latest_sha256 = ? WHERE job_id = ? AND state IN (?, ?)", published.version(), published.sha256(),
                    r.getJobId(), JobState.JOB_STATE_RUNNING.name(), JobState.JOB_STATE_PAUSED.name());
            if (n != 1) {
                return false;
            }
            updateRound(r);
            insertVersion(published);
            return true;
        });
    }

    @Override
    public List<RoundSummary> rounds(String jobId) {
        return tx("list rounds", () -> {
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT summary FROM rounds WHERE job_id = ? ORDER BY round")) {
                ps.setString(1, jobId);
                List<RoundSummary> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(RoundSummary.parseFrom(rs.getBytes(1)));
                    }
                } catch (InvalidProtocolBufferException e) {
                    throw new StoreException("stored round summary is unreadable", e);
                }
                return out;
            }
        });
    }

    @Override
    public int lastRound(String jobId) {
        return tx("read last round", () -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT COALESCE(MAX(round), 0) FROM rounds WHERE job_id = ?")) {
                ps.setString(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    @Override
    public int abortRunningRounds(String reason, long endedUnixMs) {
        return tx("abort interrupted rounds", () -> {
            List<RoundSummary> running = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement("SELECT summary FROM rounds WHERE state = ?")) {
                ps.setString(1, RoundState.ROUND_STATE_RUNNING.name());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        running.add(RoundSummary.parseFrom(rs.getBytes(1)));
                    }
                } catch (InvalidProtocolBufferException e) {
                    throw new StoreException("stored round summary is unreadable", e);
                }
            }
            for (RoundSummary r : running) {
                updateRound(r.toBuilder().setState(RoundState.ROUND_STATE_ABORTED).setAbortReason(reason)
                        .setEndedUnixMs(endedUnixMs).build());
            }
            return running.size();
        });
    }

    @Override
    public Optional<AdapterVersion> adapterVersion(String jobId, int version) {
        return tx("read adapter version", () -> {
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT sha256, size_bytes, created_ms FROM adapter_versions WHERE job_id = ? AND version = ?")) {
                ps.setString(1, jobId);
                ps.setInt(2, version);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new AdapterVersion(jobId, version, rs.getString(1), rs.getLong(2), rs.getLong(3)));
                }
            }
        });
    }

    @Override
    public void upsertNode(NodeRecord n) {
        tx("register node", () -> update("MERGE INTO nodes (node_id, node_name, base_models, num_examples, device, last_seen_ms,"
                + " identity_key) KEY (node_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                n.nodeId(), n.nodeName(), String.join(",", n.baseModels()), n.numExamples(), n.device(),
                n.lastSeenUnixMs(), n.identityKeyHex()));
    }

    @Override
    public Optional<NodeRecord> node(String nodeId) {
        return tx("read node", () -> queryNodes("SELECT * FROM nodes WHERE node_id = ?", nodeId).stream().findFirst());
    }

    @Override
    public List<NodeRecord> nodes() {
        return tx("list nodes", () -> queryNodes("SELECT * FROM nodes ORDER BY node_name, node_id"));
    }

    private List<NodeRecord> queryNodes(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            bind(ps, args);
            List<NodeRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String models = rs.getString("base_models");
                    out.add(new NodeRecord(rs.getString("node_id"), rs.getString("node_name"),
                            models.isEmpty() ? List.of() : Arrays.asList(models.split(",")),
                            rs.getLong("num_examples"), rs.getString("device"), rs.getLong("last_seen_ms"),
                            rs.getString("identity_key")));
                }
            }
            return out;
        }
    }

    @Override
    public void touchNode(String nodeId, long lastSeenUnixMs) {
        tx("touch node", () -> update("UPDATE nodes SET last_seen_ms = ? WHERE node_id = ?", lastSeenUnixMs, nodeId));
    }

    @Override
    public void recordNodeMetrics(String jobId, int round, String nodeId, java.util.Map<String, Double> metrics,
            long reportedUnixMs) {
        tx("record node metrics", () -> {
            for (var m : metrics.entrySet()) {
                update("MERGE INTO node_metrics (job_id, round, node_id, name, metric_value, reported_ms) KEY (job_id, round, node_id, name) "
                        + "VALUES (?, ?, ?, ?, ?, ?)", jobId, round, nodeId, m.getKey(), m.getValue(), reportedUnixMs);
            }
            return null;
        });
    }

    @Override
    public java.util.Map<String, Double> nodeMetrics(String jobId, int round, String nodeId) {
        return tx("read node metrics", () -> {
            java.util.Map<String, Double> out = new java.util.TreeMap<>();
            try (var ps = conn.prepareStatement(
                    "SELECT name, metric_value FROM node_metrics WHERE job_id = ? AND round = ? AND node_id = ?")) {
                bind(ps, jobId, round, nodeId);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), rs.getDouble(2));
                    }
                }
            }
            return out;
        });
    }

    // ---- trust ----

    @Override
    public void insertEnrollmentToken(EnrollmentTokenRecord t) {
        tx("insert enrollment token", () -> update("INSERT INTO enrollment_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                t.tokenSha256(), t.name(), t.role().label(), t.createdUnixMs(), t.expiresUnixMs(), t.createdBy(),
                t.usedUnixMs(), t.usedBy()));
    }

    @Override
    public Optional<EnrollmentTokenRecord> enrollmentToken(String tokenSha256) {
        return tx("read enrollment token", () -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT * FROM enrollment_tokens WHERE token_sha256 = ?")) {
                ps.setString(1, tokenSha256);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new EnrollmentTokenRecord(rs.getString("token_sha256"), rs.getString("name"),
                            CertificateRole.fromLabel(rs.getString("role")), rs.getLong("created_ms"),
                            rs.getLong("expires_ms"), rs.getString("created_by"), rs.getLong("used_ms"),
                            rs.getString("used_by")));
                }
            }
        });
    }

    @Override
    public int outstandingEnrollmentTokens(long nowUnixMs) {
        return tx("count enrollment tokens", () -> {
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT COUNT(*) FROM enrollment_tokens WHERE used_ms = 0 AND expires_ms > ?")) {
                ps.setLong(1, nowUnixMs);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    @Override
    public boolean redeemEnrollmentToken(String tokenSha256, long usedUnixMs, CertificateRecord issued) {
        return tx("redeem enrollment token", () -> {
            // The compare-and-set on used_ms makes a token single-use even under concurrent enrollments.
            int n = update("UPDATE enrollment_tokens SET used_ms = ?, used_by = ? WHERE token_sha256 = ? AND used_ms = 0",
                    usedUnixMs, issued.subjectId(), tokenSha256);
            if (n != 1) {
                return false;
            }
            insertCertificateRow(issued);
            return true;
        });
    }

    @Override
    public void insertCertificate(CertificateRecord issued) {
        tx("insert certificate", () -> {
            insertCertificateRow(issued);
            return null;
        });
    }

    private void insertCertificateRow(CertificateRecord c) throws SQLException {
        update("INSERT INTO certificates VALUES (?, ?, ?, ?, ?, ?, ?)", c.serialHex(), c.subjectId(), c.name(),
                c.role().label(), c.identityKeyHex(), c.issuedUnixMs(), c.expiresUnixMs());
    }

    @Override
    public List<CertificateRecord> certificates() {
        return tx("list certificates", () -> {
            List<CertificateRecord> out = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement("SELECT * FROM certificates ORDER BY issued_ms, serial");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new CertificateRecord(rs.getString("serial"), rs.getString("subject_id"), rs.getString("name"),
                            CertificateRole.fromLabel(rs.getString("role")), rs.getString("identity_key"),
                            rs.getLong("issued_ms"), rs.getLong("expires_ms")));
                }
            }
            return out;
        });
    }

    @Override
    public boolean insertRevocation(RevocationRecord r) {
        return tx("revoke", () -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT 1 FROM revocations WHERE subject_id = ?")) {
                ps.setString(1, r.subjectId());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return false;
                    }
                }
            }
            update("INSERT INTO revocations VALUES (?, ?, ?, ?)", r.subjectId(), r.revokedUnixMs(), r.revokedBy(),
                    r.reason());
            return true;
        });
    }

    @Override
    public List<RevocationRecord> revocations() {
        return tx("list revocations", () -> {
            List<RevocationRecord> out = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement("SELECT * FROM revocations ORDER BY revoked_ms, subject_id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new RevocationRecord(rs.getString("subject_id"), rs.getLong("revoked_ms"),
                            rs.getString("revoked_by"), rs.getString("reason")));
                }
            }
            return out;
        });
    }

    @Override
    public long appendAudit(AuditRecord e) {
        return tx("append to the audit log", () -> appendChained(new AuditRecord(0, e.atUnixMs(), clip(e.actor(), 64),
                clip(e.actorRole(), 16), clip(e.action(), 128), clip(e.target(), 512), clip(e.outcome(), 32),
                clip(e.detail(), 1024))));
    }

    /**
     * Inserts {@code e} (already clipped to the columns) after the last entry. The hash covers the
     * sequence number the database assigns, so it is set right after the insert, in the same
     * transaction, under this store's lock: entries are chained one at a time.
     */
    private long appendChained(AuditRecord e) throws SQLException {
        String previous = AuditChain.GENESIS;
        try (PreparedStatement ps = conn.prepareStatement("SELECT entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                previous = rs.getString(1);
            }
        }
        long seq;
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO audit_log (at_ms, actor, actor_role, action,"
                + " target, outcome, detail, previous_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                Statement.RETURN_GENERATED_KEYS)) {
            bind(ps, e.atUnixMs(), e.actor(), e.actorRole(), e.action(), e.target(), e.outcome(), e.detail(), previous);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                seq = keys.getLong(1);
            }
        }
        update("UPDATE audit_log SET entry_hash = ? WHERE seq = ?", AuditChain.hash(previous, seq, e), seq);
        return seq;
    }

    /** Moving to schema version 5: chains the entries written before the chain existed, in order. */
    private void chainAuditLog() throws SQLException {
        String previous = AuditChain.GENESIS;
        for (AuditRecord e : queryAudit("SELECT * FROM audit_log ORDER BY seq")) {
            String h = AuditChain.hash(previous, e.seq(), e);
            update("UPDATE audit_log SET previous_hash = ?, entry_hash = ? WHERE seq = ?", previous, h, e.seq());
            previous = h;
        }
    }

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    @Override
    public List<AuditRecord> auditLog(long afterSeq, int limit) {
        return tx("read the audit log", () -> queryAudit("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
                afterSeq, limit));
    }

    private List<AuditRecord> queryAudit(String sql, Object... args) throws SQLException {
        List<AuditRecord> out = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new AuditRecord(rs.getLong("seq"), rs.getLong("at_ms"), rs.getString("actor"),
                            rs.getString("actor_role"), rs.getString("action"), rs.getString("target"),
                            rs.getString("outcome"), rs.getString("detail"), rs.getString("previous_hash"),
                            rs.getString("entry_hash")));
                }
            }
        }
        return out;
    }

    @Override
    public synchronized void close() {
        closed = true;
        try {
            conn.close();
        } catch (SQLException e) {
            throw new StoreException("cannot close the store", e);
        }
    }
}
