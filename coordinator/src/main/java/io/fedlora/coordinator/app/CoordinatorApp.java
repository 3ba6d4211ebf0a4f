package io.fedlora.coordinator.app;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.AdapterBlob;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.round.CohortTransport;
import io.fedlora.coordinator.round.RoundScheduler;
import io.fedlora.coordinator.store.AuditRecord;
import io.fedlora.coordinator.store.AuditChain;
import io.fedlora.coordinator.store.CertificateRecord;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.auth.AuditTrail;
import io.fedlora.coordinator.trust.EnrollmentTokens;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.RoundSummary;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The operations behind the dashboard's API, each run through the {@link ActionGate} as the given
 * principal (role check, audit). Every method reads or writes the store: call it off an event loop.
 */
public final class CoordinatorApp {

    /** A node as an operator sees it. */
    public record NodeView(NodeRecord node, boolean connected, long lastSeenUnixMs, long certificateExpiresUnixMs,
            boolean revoked) {}

    /** One page of the audit log and whether the whole chain verifies. */
    public record AuditPage(List<AuditRecord> records, long total, boolean chainValid) {}

    private final Jobs jobs;
    private final RoundScheduler scheduler;
    private final Store store;
    private final CohortTransport transport;
    private final SubjectRevocation revocation;
    private final EnrollmentTokens tokens;
    private final DashboardLogins logins;
    private final AuditTrail audit;
    private final ActionGate gate;
    private final JobFeed feed;
    private final JobLog jobLog;
    private final InstantSource clock;

    public CoordinatorApp(Jobs jobs, RoundScheduler scheduler, Store store, CohortTransport transport,
            SubjectRevocation revocation, EnrollmentTokens tokens, DashboardLogins logins, AuditTrail audit,
            JobFeed feed, JobLog jobLog, InstantSource clock) {
        this.jobLog = jobLog;
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.store = store;
        this.transport = transport;
        this.revocation = revocation;
        this.tokens = tokens;
        this.logins = logins;
        this.audit = audit;
        this.gate = new ActionGate(audit);
        this.feed = feed;
        this.clock = clock;
    }

    public ActionGate gate() {
        return gate;
    }

    public JobFeed feed() {
        return feed;
    }

    public DashboardLogins logins() {
        return logins;
    }

    /** Whether the store answers now (health). */
    public boolean storeAvailable() {
        return store.available();
    }

    public List<JobRecord> listJobs(Principal p) {
        return gate.perform(p, Action.LIST_JOBS, "", jobs::list);
    }

    public JobRecord job(Principal p, String jobId) {
        return gate.perform(p, Action.GET_JOB, "job_id=" + jobId, () -> jobs.get(jobId));
    }

    public List<RoundSummary> rounds(Principal p, String jobId) {
        return gate.perform(p, Action.LIST_ROUNDS, "job_id=" + jobId, () -> jobs.rounds(jobId));
    }

    /** Start, pause, resume or cancel; FAILED_PRECONDITION when the job is not in a state that allows it. */
    public JobRecord control(Principal p, Action action, String jobId) {
        return gate.perform(p, action, "job_id=" + jobId, () -> {
            jobs.get(jobId);
            return switch (action) {
                case START_JOB -> scheduler.startJob(jobId);
                case PAUSE_JOB -> scheduler.pauseJob(jobId);
                case RESUME_JOB -> scheduler.resumeJob(jobId);
                case CANCEL_JOB -> scheduler.cancelJob(jobId, p.toString());
                default -> throw new IllegalArgumentException(action + " is not a job control");
            };
        });
    }

    /** The actions on {@code job} that {@code p} may take now (its role and the job's state both allow). */
    public List<Action> allowedControls(Principal p, JobRecord job) {
        List<Action> out = new ArrayList<>();
        switch (job.state()) {
            case JOB_STATE_CREATED -> out.add(Action.START_JOB);
            case JOB_STATE_RUNNING -> out.add(Action.PAUSE_JOB);
            case JOB_STATE_PAUSED -> out.add(Action.RESUME_JOB);
            default -> { }
        }
        if (!job.isTerminal()) {
            out.add(Action.CANCEL_JOB);
        }
        out.add(Action.DOWNLOAD_ADAPTER);
        out.removeIf(a -> !a.allows(p));
        return out;
    }

    /** An adapter version's record (hash, size); call after a gated read of the job. */
    public java.util.Optional<io.fedlora.coordinator.store.AdapterVersion> adapterVersion(String jobId, int version) {
        return store.adapterVersion(jobId, version);
    }

    public AdapterBlob adapter(Principal p, String jobId, int version) {
        return gate.perform(p, Action.DOWNLOAD_ADAPTER, "job_id=" + jobId + " version=" + version,
                () -> jobs.adapter(jobId, version));
    }

    /** Per node, the metrics it reported for the job's rounds (latest round that reported each). */
    public Map<String, Map<String, Double>> nodeMetrics(Principal p, String jobId) {
        return gate.perform(p, Action.READ_PRIVACY, "job_id=" + jobId, () -> {
            Map<String, Map<String, Double>> out = new java.util.TreeMap<>();
            for (RoundSummary r : jobs.rounds(jobId)) {
                for (String node : r.getContributingNodesList()) {
                    Map<String, Double> m = store.nodeMetrics(jobId, r.getRound(), node);
                    if (!m.isEmpty()) {
                        out.computeIfAbsent(node, k -> new java.util.TreeMap<>()).putAll(m);
                    }
                }
            }
            return out;
        });
    }

    /** The job's last {@code limit} log lines, oldest first. */
    public List<JobLog.Line> jobLog(Principal p, String jobId, int limit) {
        return gate.perform(p, Action.READ_JOB_LOG, "job_id=" + jobId, () -> {
            jobs.get(jobId);
            if (limit < 1 || limit > JobLog.LINES_PER_JOB) {
                throw new InvalidArgument("limit: 1.." + JobLog.LINES_PER_JOB + ", got " + limit);
            }
            return jobLog.recent(jobId, limit);
        });
    }

    /** Follows the job's new log lines (after a gated read of the job); close the result to stop. */
    public AutoCloseable followJobLog(String jobId, java.util.function.Consumer<JobLog.Line> follower) {
        return jobLog.follow(jobId, follower);
    }

    public List<NodeView> nodes(Principal p) {
        return gate.perform(p, Action.LIST_NODES, "", () -> {
            long now = clock.millis();
            Map<String, Long> expiry = store.certificates().stream().collect(Collectors.toMap(
                    CertificateRecord::subjectId, CertificateRecord::expiresUnixMs, Math::max));
            List<NodeView> out = new ArrayList<>();
            for (NodeRecord n : store.nodes()) {
                boolean connected = transport.isConnected(n.nodeId());
                out.add(new NodeView(n, connected, connected ? now : n.lastSeenUnixMs(),
                        expiry.getOrDefault(n.nodeId(), 0L), revocation.isRevoked(n.nodeId())));
            }
            return out;
        });
    }

    public SubjectRevocation.Result revoke(Principal p, String nodeId, String reason) {
        return gate.perform(p, Action.REVOKE_NODE, "node_id=" + nodeId,
                () -> revocation.revoke(nodeId, reason, p));
    }

    /** An enrollment token for a node or an operator; the secret is in the result only. */
    public EnrollmentTokens.Issued createEnrollmentToken(Principal p, String name, String role, long ttlSeconds) {
        return gate.perform(p, Action.CREATE_ENROLLMENT_TOKEN, "name=" + name + " role=" + role, () -> {
            CertificateRole r = parseRole(role, CertificateRole.AGENT);
            if (ttlSeconds < 0) {
                throw new InvalidArgument("ttlSeconds: must not be negative, got " + ttlSeconds);
            }
            Duration ttl = ttlSeconds == 0 ? EnrollmentTokens.DEFAULT_TTL : Duration.ofSeconds(ttlSeconds);
            return tokens.create(name, r, ttl, p.name());
        });
    }

    /** A one-time dashboard sign-in token for {@code name} as {@code role}. */
    public DashboardLogins.Issued createDashboardLogin(Principal p, String name, String role, Duration ttl) {
        return gate.perform(p, Action.CREATE_DASHBOARD_LOGIN, "name=" + name + " role=" + role,
                () -> logins.issue(name, parseRole(role, CertificateRole.VIEWER), ttl));
    }

    /**
     * A page of the audit log, newest filters applied in order of sequence: {@code actor} and
     * {@code action} match exactly when not empty.
     */
    public AuditPage audit(Principal p, int page, int size, String actor, String action) {
        return gate.perform(p, Action.READ_AUDIT, "", () -> {
            if (page < 0) {
                throw new InvalidArgument("page: must be >= 0, got " + page);
            }
            if (size < 1 || size > 1000) {
                throw new InvalidArgument("size: 1..1000, got " + size);
            }
            List<AuditRecord> matching = new ArrayList<>();
            long after = 0;
            while (true) {
                List<AuditRecord> chunk = store.auditLog(after, 1000);
                for (AuditRecord r : chunk) {
                    after = r.seq();
                    if ((actor.isEmpty() || actor.equals(r.actor())) && (action.isEmpty() || action.equals(r.action()))) {
                        matching.add(r);
                    }
                }
                if (chunk.size() < 1000) {
                    break;
                }
            }
            AuditChain.Verification v = audit.verify();
            int from = (int) Math.min((long) page * size, matching.size());
            int to = Math.min(from + size, matching.size());
            return new AuditPage(List.copyOf(matching.subList(from, to)), matching.size(), v.intact());
        });
    }

    private static CertificateRole parseRole(String role, CertificateRole dflt) {
        if (role == null || role.isEmpty()) {
            return dflt;
        }
        try {
            return CertificateRole.fromLabel(role);
        } catch (IllegalArgumentException e) {
            throw new InvalidArgument("role: " + e.getMessage());
        }
    }
}
