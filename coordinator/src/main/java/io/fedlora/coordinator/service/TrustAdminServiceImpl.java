package io.fedlora.coordinator.service;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.app.DashboardLogins;
import io.fedlora.coordinator.app.Principal;
import io.fedlora.coordinator.app.SubjectRevocation;
import io.fedlora.coordinator.auth.Caller;
import io.fedlora.coordinator.round.ConnectedNodes;
import io.fedlora.coordinator.store.AuditRecord;
import io.fedlora.coordinator.store.CertificateRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.trust.EnrollmentTokens;
import io.fedlora.coordinator.trust.Revocations;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.AuditEntry;
import io.fedlora.proto.v1.CreateDashboardLoginRequest;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.DashboardLogin;
import io.fedlora.proto.v1.EnrollmentToken;
import io.fedlora.proto.v1.IssuedCertificate;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.ListAuditLogResponse;
import io.fedlora.proto.v1.ListCertificatesRequest;
import io.fedlora.proto.v1.ListCertificatesResponse;
import io.fedlora.proto.v1.RevokeRequest;
import io.fedlora.proto.v1.RevokeResponse;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Enrollment tokens, revocation, issued certificates and the audit log (admin role; see {@code auth.AccessPolicy}). */
public final class TrustAdminServiceImpl extends TrustAdminServiceGrpc.TrustAdminServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(TrustAdminServiceImpl.class);

    private final EnrollmentTokens tokens;
    private final Revocations revocations;
    private final ConnectedNodes nodes;
    private final Store store;
    private final Supplier<String> caSha256;
    private final InstantSource clock;
    private final Supplier<Optional<DashboardLink>> dashboard;

    /** Where the dashboard is and who issues its sign-in tokens; empty while it is off. */
    public record DashboardLink(String url, DashboardLogins logins) {}

    public TrustAdminServiceImpl(EnrollmentTokens tokens, Revocations revocations, ConnectedNodes nodes, Store store,
            Supplier<String> caSha256, InstantSource clock) {
        this(tokens, revocations, nodes, store, caSha256, clock, Optional::empty);
    }

    public TrustAdminServiceImpl(EnrollmentTokens tokens, Revocations revocations, ConnectedNodes nodes, Store store,
            Supplier<String> caSha256, InstantSource clock, Supplier<Optional<DashboardLink>> dashboard) {
        this.dashboard = dashboard;
        this.tokens = tokens;
        this.revocations = revocations;
        this.nodes = nodes;
        this.store = store;
        this.caSha256 = caSha256;
        this.clock = clock;
    }

    @Override
    public void createEnrollmentToken(CreateEnrollmentTokenRequest req, StreamObserver<EnrollmentToken> obs) {
        StatusMapper.unary(obs, () -> {
            CertificateRole role;
            try {
                role = req.getRole().isEmpty() ? CertificateRole.AGENT : CertificateRole.fromLabel(req.getRole());
            } catch (IllegalArgumentException e) {
                throw new InvalidArgument("role: " + e.getMessage());
            }
            Duration ttl = req.getTtlSeconds() == 0 ? EnrollmentTokens.DEFAULT_TTL : Duration.ofSeconds(req.getTtlSeconds());
            EnrollmentTokens.Issued t = tokens.create(req.getName(), role, ttl, Caller.current().subjectId());
            log.info("enrollment token for '{}' ({}) created by {}, expires {}", req.getName(), role.label(),
                    Caller.current(), java.time.Instant.ofEpochMilli(t.record().expiresUnixMs()));
            return EnrollmentToken.newBuilder()
                    .setToken(t.token())
                    .setName(t.record().name())
                    .setRole(role.label())
                    .setExpiresUnixMs(t.record().expiresUnixMs())
                    .setCaSha256(caSha256.get())
                    .build();
        });
    }

    @Override
    public void revoke(RevokeRequest req, StreamObserver<RevokeResponse> obs) {
        StatusMapper.unary(obs, () -> {
            SubjectRevocation.Result r = new SubjectRevocation(revocations, nodes, store, clock)
                    .revoke(req.getSubjectId(), req.getReason(), Principal.of(Caller.current()));
            return RevokeResponse.newBuilder().setCertificatesRevoked(r.certificatesRevoked())
                    .setWasConnected(r.wasConnected()).build();
        });
    }

    @Override
    public void createDashboardLogin(CreateDashboardLoginRequest req, StreamObserver<DashboardLogin> obs) {
        StatusMapper.unary(obs, () -> {
            DashboardLink d = dashboard.get().orElseThrow(() -> new FailedPrecondition(
                    "dashboard: this coordinator serves no dashboard (started with --no-dashboard, or without TLS)"));
            CertificateRole role;
            try {
                role = req.getRole().isEmpty() ? CertificateRole.VIEWER : CertificateRole.fromLabel(req.getRole());
            } catch (IllegalArgumentException e) {
                throw new InvalidArgument("role: " + e.getMessage());
            }
            if (req.getTtlSeconds() < 0) {
                throw new InvalidArgument("ttl_seconds: must not be negative, got " + req.getTtlSeconds());
            }
            Duration ttl = req.getTtlSeconds() == 0 ? DashboardLogins.DEFAULT_TTL : Duration.ofSeconds(req.getTtlSeconds());
            DashboardLogins.Issued t = d.logins().issue(req.getName(), role, ttl);
            log.info("dashboard sign-in link for '{}' ({}) created by {}, expires {}", req.getName(), role.label(),
                    Caller.current(), java.time.Instant.ofEpochMilli(t.grant().expiresUnixMs()));
            return DashboardLogin.newBuilder().setUrl(d.url() + "login#token=" + t.token()).setName(req.getName())
                    .setRole(role.label()).setExpiresUnixMs(t.grant().expiresUnixMs()).build();
        });
    }

    @Override
    public void listCertificates(ListCertificatesRequest req, StreamObserver<ListCertificatesResponse> obs) {
        StatusMapper.unary(obs, () -> {
            ListCertificatesResponse.Builder b = ListCertificatesResponse.newBuilder();
            for (CertificateRecord c : store.certificates()) {
                b.addCertificates(IssuedCertificate.newBuilder().setSerial(c.serialHex()).setSubjectId(c.subjectId())
                        .setName(c.name()).setRole(c.role().label()).setIssuedUnixMs(c.issuedUnixMs())
                        .setExpiresUnixMs(c.expiresUnixMs()).setRevoked(revocations.isRevoked(c.subjectId())));
            }
            return b.build();
        });
    }

    @Override
    public void listAuditLog(ListAuditLogRequest req, StreamObserver<ListAuditLogResponse> obs) {
        StatusMapper.unary(obs, () -> {
            if (req.getLimit() < 0 || req.getLimit() > 1000) {
                throw new InvalidArgument("limit: 0..1000, got " + req.getLimit());
            }
            ListAuditLogResponse.Builder b = ListAuditLogResponse.newBuilder();
            for (AuditRecord a : store.auditLog(req.getAfterSeq(), req.getLimit() == 0 ? 100 : req.getLimit())) {
                b.addEntries(AuditEntry.newBuilder().setSeq(a.seq()).setAtUnixMs(a.atUnixMs()).setActor(a.actor())
                        .setActorRole(a.actorRole()).setAction(a.action()).setTarget(a.target())
                        .setOutcome(a.outcome()).setDetail(a.detail()).setPreviousHash(a.previousHash())
                        .setEntryHash(a.hash()));
            }
            return b.build();
        });
    }
}
