package io.fedlora.coordinator.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.AuditRecord;
import io.fedlora.coordinator.store.AuditStore;
import io.fedlora.coordinator.store.CertificateRecord;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.EnrollmentTokenRecord;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.JobStore;
import io.fedlora.coordinator.store.Lease;
import io.fedlora.coordinator.store.LeaseStore;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.NodeStore;
import io.fedlora.coordinator.store.RevocationRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.store.StoreException;
import io.fedlora.coordinator.store.TrustRecordStore;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store over JDBC, on H2 or PostgreSQL ({@link SqlDialect}), through a HikariCP pool. Each
 * concern lives in its own class; this one opens the pool, migrates the schema and passes calls on.
 * Every call is one transaction on a pooled connection, so callers run concurrently; the atomic
 * operations ({@link #completeRound}, {@link #redeemEnrollmentToken}, ...) are conditional updates
 * that the database serialises.
 */
public final class JdbcStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(JdbcStore.class);

    private final HikariDataSource pool;
    private final Transactions tx;
    private final JobStore jobs;
    private final NodeStore nodes;
    private final TrustRecordStore trust;
    private final AuditStore audit;
    private final LeaseStore leases;
    private final ConnectionProbe probe;

    private JdbcStore(HikariDataSource pool, SqlDialect dialect) {
        this.pool = pool;
        this.tx = new Transactions(pool, dialect);
        this.jobs = new JdbcJobStore(tx);
        this.nodes = new JdbcNodeStore(tx);
        this.trust = new JdbcTrustRecordStore(tx);
        this.audit = new JdbcAuditStore(tx);
        this.leases = new JdbcLeaseStore(tx);
        this.probe = new ConnectionProbe(pool, Duration.ofSeconds(1));
    }

    /** Opens a pool on the database, failing at once when it cannot connect, and migrates its schema. */
    public static JdbcStore open(DatabaseSettings settings) {
        HikariConfig c = new HikariConfig();
        c.setPoolName("fedlora-store");
        c.setJdbcUrl(settings.jdbcUrl());
        if (!settings.user().isEmpty()) {
            c.setUsername(settings.user());
        }
        settings.password().ifPresent(p -> c.setPassword(new String(p.toByteArray(), StandardCharsets.UTF_8)));
        c.setMaximumPoolSize(settings.maxConnections());
        c.setMinimumIdle(1);
        c.setConnectionTimeout(10_000);
        c.setInitializationFailTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(c);
        } catch (HikariPool.PoolInitializationException e) {
            // The driver's message names the host or file and the reason; it never carries the password.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new StoreException("cannot connect to the store " + settings.describe() + ": " + cause.getMessage(), e);
        }
        try {
            SqlDialect dialect = settings.dialect();
            String version = SchemaMigrations.migrate(pool, dialect);
            log.info("store {} open, schema version {}", settings.describe(), version);
            return new JdbcStore(pool, dialect);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    // ---- jobs and rounds ----

    @Override
    public void insertJob(JobRecord job, AdapterVersion initial) {
        jobs.insertJob(job, initial);
    }

    @Override
    public Optional<JobRecord> job(String jobId) {
        return jobs.job(jobId);
    }

    @Override
    public List<JobRecord> jobs() {
        return jobs.jobs();
    }

    @Override
    public void setJobState(String jobId, JobState state, String failureReason) {
        jobs.setJobState(jobId, state, failureReason);
    }

    @Override
    public boolean transitionJobState(String jobId, Set<JobState> from, JobState to, String reason) {
        return jobs.transitionJobState(jobId, from, to, reason);
    }

    @Override
    public void insertRound(RoundSummary running) {
        jobs.insertRound(running);
    }

    @Override
    public void endRound(RoundSummary ended) {
        jobs.endRound(ended);
    }

    @Override
    public boolean completeRound(RoundSummary completed, AdapterVersion published) {
        return jobs.completeRound(completed, published);
    }

    @Override
    public List<RoundSummary> rounds(String jobId) {
        return jobs.rounds(jobId);
    }

    @Override
    public int lastRound(String jobId) {
        return jobs.lastRound(jobId);
    }

    @Override
    public int abortRunningRounds(String reason, long endedUnixMs) {
        return jobs.abortRunningRounds(reason, endedUnixMs);
    }

    @Override
    public Optional<AdapterVersion> adapterVersion(String jobId, int version) {
        return jobs.adapterVersion(jobId, version);
    }

    @Override
    public List<AdapterVersion> adapterVersions(String jobId) {
        return jobs.adapterVersions(jobId);
    }

    // ---- nodes ----

    @Override
    public void upsertNode(NodeRecord node) {
        nodes.upsertNode(node);
    }

    @Override
    public Optional<NodeRecord> node(String nodeId) {
        return nodes.node(nodeId);
    }

    @Override
    public List<NodeRecord> nodes() {
        return nodes.nodes();
    }

    @Override
    public void touchNode(String nodeId, long lastSeenUnixMs) {
        nodes.touchNode(nodeId, lastSeenUnixMs);
    }

    @Override
    public void recordNodeMetrics(String jobId, int round, String nodeId, Map<String, Double> metrics,
            long reportedUnixMs) {
        nodes.recordNodeMetrics(jobId, round, nodeId, metrics, reportedUnixMs);
    }

    @Override
    public Map<String, Double> nodeMetrics(String jobId, int round, String nodeId) {
        return nodes.nodeMetrics(jobId, round, nodeId);
    }

    // ---- trust records ----

    @Override
    public void insertEnrollmentToken(EnrollmentTokenRecord token) {
        trust.insertEnrollmentToken(token);
    }

    @Override
    public Optional<EnrollmentTokenRecord> enrollmentToken(String tokenSha256) {
        return trust.enrollmentToken(tokenSha256);
    }

    @Override
    public int outstandingEnrollmentTokens(long nowUnixMs) {
        return trust.outstandingEnrollmentTokens(nowUnixMs);
    }

    @Override
    public boolean redeemEnrollmentToken(String tokenSha256, long usedUnixMs, CertificateRecord issued) {
        return trust.redeemEnrollmentToken(tokenSha256, usedUnixMs, issued);
    }

    @Override
    public void insertCertificate(CertificateRecord issued) {
        trust.insertCertificate(issued);
    }

    @Override
    public List<CertificateRecord> certificates() {
        return trust.certificates();
    }

    @Override
    public boolean insertRevocation(RevocationRecord revocation) {
        return trust.insertRevocation(revocation);
    }

    @Override
    public List<RevocationRecord> revocations() {
        return trust.revocations();
    }

    // ---- audit log ----

    @Override
    public long appendAudit(AuditRecord entry) {
        return audit.appendAudit(entry);
    }

    @Override
    public List<AuditRecord> auditLog(long afterSeq, int limit) {
        return audit.auditLog(afterSeq, limit);
    }

    // ---- the active coordinator's lease ----

    @Override
    public Optional<Lease> acquireLease(String name, String holder, String holderAddress, Duration ttl) {
        return leases.acquireLease(name, holder, holderAddress, ttl);
    }

    @Override
    public boolean renewLease(Lease held, Duration ttl) {
        return leases.renewLease(held, ttl);
    }

    @Override
    public void releaseLease(Lease held) {
        leases.releaseLease(held);
    }

    @Override
    public Optional<Lease> lease(String name) {
        return leases.lease(name);
    }

    @Override
    public void fenceWith(Lease held) {
        leases.fenceWith(held);
    }

    @Override
    public boolean available() {
        return !tx.isClosed() && probe.answers();
    }

    /** Refuses further calls, then closes the pool (and with it an embedded database). */
    @Override
    public void close() {
        tx.close();
        probe.close();
        pool.close();
    }
}
