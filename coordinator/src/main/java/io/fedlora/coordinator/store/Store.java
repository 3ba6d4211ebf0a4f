package io.fedlora.coordinator.store;

import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundSummary;
import java.util.List;
import java.util.Optional;

/**
 * The coordinator's durable state: jobs, rounds, registered nodes and adapter versions. Adapter
 * bytes live in a {@link BlobStore}; this holds only their hashes. Implementations are
 * thread-safe. Never holds secrets or individual client updates.
 */
public interface Store extends AutoCloseable {

    /** Stores a new job together with its version-0 adapter, atomically. */
    void insertJob(JobRecord job, AdapterVersion initial);

    Optional<JobRecord> job(String jobId);

    /** All jobs, oldest first. */
    List<JobRecord> jobs();

    void setJobState(String jobId, JobState state, String failureReason);

    /**
     * Moves the job to {@code to} only if it is in one of {@code from}, atomically; false (and nothing
     * written) otherwise. Concurrent transitions (an operator cancelling, the round loop completing)
     * thus cannot overwrite each other.
     */
    boolean transitionJobState(String jobId, java.util.Set<JobState> from, JobState to, String reason);

    /** Records a round that has just started (state RUNNING). */
    void insertRound(RoundSummary running);

    /** Records how a round ended without publishing (ABORTED). */
    void endRound(RoundSummary ended);

    /**
     * Records a completed round with the adapter version it published, and moves the job's latest
     * version and completed-round count forward, atomically, if the job is still running or paused.
     * False (and nothing written) when it is not, e.g. cancelled while the round was aggregated.
     */
    boolean completeRound(RoundSummary completed, AdapterVersion published);

    /** The job's rounds in order. */
    List<RoundSummary> rounds(String jobId);

    /** The highest round number used by the job, 0 when none. */
    int lastRound(String jobId);

    /** Marks rounds left RUNNING (by a coordinator that stopped) as ABORTED; returns how many. */
    int abortRunningRounds(String reason, long endedUnixMs);

    Optional<AdapterVersion> adapterVersion(String jobId, int version);

    /** Inserts or replaces a node's registration. */
    void upsertNode(NodeRecord node);

    Optional<NodeRecord> node(String nodeId);

    List<NodeRecord> nodes();

    void touchNode(String nodeId, long lastSeenUnixMs);

    /** Metrics a node reported for a round (e.g. the epsilon it has spent); latest value per name wins. */
    void recordNodeMetrics(String jobId, int round, String nodeId, java.util.Map<String, Double> metrics,
            long reportedUnixMs);

    java.util.Map<String, Double> nodeMetrics(String jobId, int round, String nodeId);

    // ---- trust: enrollment tokens, issued certificates, revocations, audit log ----

    void insertEnrollmentToken(EnrollmentTokenRecord token);

    Optional<EnrollmentTokenRecord> enrollmentToken(String tokenSha256);

    /** Tokens neither used nor expired at {@code nowUnixMs}: the ones that could still enrol someone. */
    int outstandingEnrollmentTokens(long nowUnixMs);

    /**
     * Marks the token used by {@code issued.subjectId()} and records the certificate, atomically;
     * false (and nothing written) when the token was already used.
     */
    boolean redeemEnrollmentToken(String tokenSha256, long usedUnixMs, CertificateRecord issued);

    /** Records a certificate issued without a token (the local admin's). */
    void insertCertificate(CertificateRecord issued);

    /** Every issued certificate, oldest first. */
    List<CertificateRecord> certificates();

    /** Records a revocation; false when the subject was already revoked. */
    boolean insertRevocation(RevocationRecord revocation);

    List<RevocationRecord> revocations();

    /**
     * Appends to the audit log, chained to the entry before it (see {@link AuditChain}), and returns
     * the entry's sequence number. There is no update or delete.
     */
    long appendAudit(AuditRecord entry);

    /** Audit entries with {@code seq > afterSeq}, oldest first, at most {@code limit}, with their hashes. */
    List<AuditRecord> auditLog(long afterSeq, int limit);

    @Override
    void close();
}
