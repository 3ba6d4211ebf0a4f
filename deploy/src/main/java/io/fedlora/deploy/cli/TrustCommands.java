package io.fedlora.deploy.cli;

import io.fedlora.coordinator.store.AuditChain;
import io.fedlora.coordinator.store.AuditRecord;
import io.fedlora.proto.v1.AuditEntry;
import io.fedlora.proto.v1.CreateDashboardLoginRequest;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.DashboardLogin;
import io.fedlora.proto.v1.EnrollmentToken;
import io.fedlora.proto.v1.IssuedCertificate;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.ListCertificatesRequest;
import io.fedlora.proto.v1.RevokeRequest;
import io.fedlora.proto.v1.RevokeResponse;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedlora admin} commands for enrollment, revocation and the audit log (admin role). */
final class TrustCommands {

    private TrustCommands() {}

    abstract static class Base implements Callable<Integer> {
        @Mixin
        CoordinatorAddress address;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ManagedChannel ch = address.open();
            try {
                return run(TrustAdminServiceGrpc.newBlockingStub(ch));
            } finally {
                CoordinatorAddress.close(ch);
            }
        }

        abstract Integer run(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust) throws Exception;
    }

    @Command(name = "enroll-token", mixinStandardHelpOptions = true,
            description = {"Create a one-time enrollment token for a client node (or an operator).",
                "The token alone goes to stdout, once; the coordinator keeps only its sha256. Give it, with the"
                    + " coordinator's ca.crt, to whoever starts that node: fedlora client --enroll-token-file F"
                    + " --ca-cert ca.crt --name NAME ..., or to an operator: fedlora enroll ..."})
    static final class EnrollToken extends Base {
        @Option(names = "--name", required = true, description = "The node's (or operator's) name; enrolling must state it.")
        String name;

        @Option(names = "--role", defaultValue = "agent",
                description = "agent (a client node), viewer, operator or admin (default: ${DEFAULT-VALUE}).")
        String role;

        @Option(names = "--ttl", defaultValue = "24h", description = "How long the token stays usable: e.g. 30m, 24h,"
                + " 7d (at most 30d; default: ${DEFAULT-VALUE}).")
        String ttl;

        @Override
        Integer run(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust) {
            EnrollmentToken t = trust.createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder().setName(name)
                    .setRole(role).setTtlSeconds(parseTtl(ttl).toSeconds()).build());
            spec.commandLine().getOut().println(t.getToken());
            spec.commandLine().getOut().flush();
            var err = spec.commandLine().getErr();
            err.printf("one-time enrollment token for '%s' (%s), valid until %s; it is not shown again.%n", t.getName(),
                    t.getRole(), Instant.ofEpochMilli(t.getExpiresUnixMs()));
            err.printf("the client also needs the coordinator's CA certificate (DATA_DIR/pki/ca.crt), sha256 %s%n",
                    t.getCaSha256());
            err.flush();
            return 0;
        }
    }

    @Command(name = "dashboard-login", mixinStandardHelpOptions = true,
            description = {"Create a one-time sign-in link for the coordinator's dashboard (admin only, audited).",
                "The link alone goes to stdout, once: https://HOST:PORT/login#token=... (the token is in the fragment,"
                    + " so it never reaches a server's access log). It signs in once, before it expires."})
    static final class DashboardLoginLink extends Base {
        @Option(names = "--name", required = true, description = "Who signs in (shown in the dashboard and the audit log).")
        String name;

        @Option(names = "--role", defaultValue = "viewer",
                description = "viewer, operator or admin (default: ${DEFAULT-VALUE}).")
        String role;

        @Option(names = "--ttl", defaultValue = "15m", description = "How long the link stays usable: e.g. 15m, 2h"
                + " (at most 24h; default: ${DEFAULT-VALUE}).")
        String ttl;

        @Override
        Integer run(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust) {
            DashboardLogin l = trust.createDashboardLogin(CreateDashboardLoginRequest.newBuilder().setName(name)
                    .setRole(role).setTtlSeconds(parseTtl(ttl).toSeconds()).build());
            spec.commandLine().getOut().println(l.getUrl());
            spec.commandLine().getOut().flush();
            spec.commandLine().getErr().printf("one-time dashboard sign-in link for '%s' (%s), valid until %s; it is not"
                    + " shown again.%n", l.getName(), l.getRole(), Instant.ofEpochMilli(l.getExpiresUnixMs()));
            spec.commandLine().getErr().flush();
            return 0;
        }
    }

    /** {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}. */
    static Duration parseTtl(String s) {
        var m = java.util.regex.Pattern.compile("(\\d{1,7})([smhd])").matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("--ttl: a number and a unit (s, m, h, d), e.g. 24h; got '" + s + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = {"Revoke a node (by node id) or an operator (by name): its calls are refused at once, its",
                "connection to the coordinator is dropped, and it is never selected for a round again."})
    static final class Revoke extends Base {
        @Parameters(index = "0", paramLabel = "NODE", description = "Node id (see 'fedlora admin nodes') or operator name.")
        String subject;

        @Option(names = "--reason", defaultValue = "", description = "Why (kept in the audit log).")
        String reason;

        @Override
        Integer run(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust) {
            RevokeResponse r = trust.revoke(RevokeRequest.newBuilder().setSubjectId(subject).setReason(reason).build());
            spec.commandLine().getOut().printf("revoked %s: %d certificate(s); %s%n", subject, r.getCertificatesRevoked(),
                    r.getWasConnected() ? "its connection was dropped" : "it was not connected");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "certificates", mixinStandardHelpOptions = true,
            description = "List the certificates the coordinator's CA issued (nodes and operators).")
    static final class Certificates extends Base {
        @Override
        Integer run(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust) {
            var out = spec.commandLine().getOut();
            out.printf("%-38s %-16s %-9s %-22s %s%n", "subject", "name", "role", "expires", "status");
            for (IssuedCertificate c : trust.listCertificates(ListCertificatesRequest.getDefaultInstance())
                    .getCertificatesList()) {
                out.printf("%-38s %-16s %-9s %-22s %s%n", c.getSubjectId(), c.getName(), c.getRole(),
                        Instant.ofEpochMilli(c.getExpiresUnixMs()), c.getRevoked() ? "REVOKED" : "valid");
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "audit", mixinStandardHelpOptions = true,
            description = {"Show the audit log: every admin action (and refused attempt), who, what, when, outcome.",
                "With --verify: recompute the log's hash chain from the first entry and report the first entry that"
                    + " was changed, deleted or inserted outside the coordinator (exit code 1), or the head hash"
                    + " to keep elsewhere."})
    static final class Audit extends Base {
        @Option(names = "--after", defaultValue = "0", description = "Only entries after this sequence number.")
        long after;

        @Option(names = "--limit", defaultValue = "100", description = "At most this many (1-1000; default: ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--verify", description = "Check the whole log's hash chain instead of listing entries.")
        boolean verify;

        @Override
        Integer run(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust) {
            var out = spec.commandLine().getOut();
            if (verify) {
                return verify(trust, out);
            }
            for (AuditEntry e : trust.listAuditLog(ListAuditLogRequest.newBuilder().setAfterSeq(after).setLimit(limit)
                    .build()).getEntriesList()) {
                out.printf("%5d %s %-12s %-38s %-40s %-18s %s%s%n", e.getSeq(), Instant.ofEpochMilli(e.getAtUnixMs()),
                        e.getActorRole(), e.getActor(), e.getAction(), e.getOutcome(), e.getTarget(),
                        e.getDetail().isEmpty() ? "" : "  (" + e.getDetail() + ")");
            }
            out.flush();
            return 0;
        }

        private static int verify(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust, java.io.PrintWriter out) {
            AuditChain.Verifier v = new AuditChain.Verifier();
            long seq = 0;
            List<AuditEntry> page;
            do {
                page = trust.listAuditLog(ListAuditLogRequest.newBuilder().setAfterSeq(seq).setLimit(1000).build())
                        .getEntriesList();
                for (AuditEntry e : page) {
                    v.check(new AuditRecord(e.getSeq(), e.getAtUnixMs(), e.getActor(), e.getActorRole(), e.getAction(),
                            e.getTarget(), e.getOutcome(), e.getDetail(), e.getPreviousHash(), e.getEntryHash()));
                    seq = e.getSeq();
                }
            } while (page.size() == 1000 && v.result().intact());
            AuditChain.Verification r = v.result();
            if (r.firstBreak().isPresent()) {
                out.printf("audit log BROKEN at entry %d: %s (%d entries before it are intact)%n",
                        r.firstBreak().get().seq(), r.firstBreak().get().reason(), r.entries());
                out.flush();
                return 1;
            }
            out.printf("audit log intact: %d entries; head entry %d, hash %s%n", r.entries(), r.headSeq(), r.headHash());
            out.flush();
            return 0;
        }
    }
}
