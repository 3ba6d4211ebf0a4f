package io.fedlora.coordinator.auth;

import com.google.protobuf.Message;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.PeerIdentity;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates and authorises every call. With TLS: the peer certificate (already verified against
 * the CA in the handshake) names the caller; a call without one is UNAUTHENTICATED unless it is
 * Enroll; a revoked subject, or a certificate that has expired since the handshake, is
 * UNAUTHENTICATED on every call, so revocation and expiry also reach connections opened before; a
 * role that does not include the method's is PERMISSION_DENIED. The caller goes
 * into the call's {@link Context} for the services' per-node checks. Audited calls are written to the
 * {@link AuditTrail} when they end.
 */
public final class CallAuthorizer implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(CallAuthorizer.class);

    private final boolean development;
    private final Predicate<String> revoked;
    private final AuditTrail audit;
    private final InstantSource clock;

    /**
     * @param development plaintext transport: every call runs as {@link Caller#DEVELOPMENT}
     */
    public CallAuthorizer(boolean development, Predicate<String> revoked, AuditTrail audit, InstantSource clock) {
        this.development = development;
        this.revoked = revoked;
        this.audit = audit;
        this.clock = clock;
    }

    /** A caller, or why there is none. */
    private record Verdict(Optional<Caller> caller, Status refusal) {}

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        String action = AccessPolicy.action(method);
        Optional<AccessPolicy.Rule> rule = AccessPolicy.ruleFor(method);
        Verdict v = decide(call, rule);
        if (v.refusal() != null) {
            if (rule.isEmpty() || rule.get().audited() || rule.get().adminApi()) {
                auditRefusal(v.caller(), action, v.refusal());
            }
            log.info("refused {} from {}: {}", action, v.caller().map(Caller::toString).orElse("a client without a"
                    + " certificate"), v.refusal().getDescription());
            call.close(v.refusal(), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        Context ctx = v.caller().map(c -> Context.current().withValue(Caller.KEY, c)).orElse(Context.current());
        if (!rule.get().audited()) {
            return Contexts.interceptCall(ctx, call, headers, next);
        }
        AuditedCall<Q, R> audited = new AuditedCall<>(call, v.caller(), action);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                Contexts.interceptCall(ctx, audited, headers, next)) {
            @Override
            public void onMessage(Q message) {
                audited.noteRequest(message);
                super.onMessage(message);
            }
        };
    }

    private Verdict decide(ServerCall<?, ?> call, Optional<AccessPolicy.Rule> rule) {
        if (development) {
            return rule.isPresent() ? new Verdict(Optional.of(Caller.DEVELOPMENT), null)
                    : new Verdict(Optional.of(Caller.DEVELOPMENT), Status.PERMISSION_DENIED
                            .withDescription("no access rule for this method"));
        }
        Optional<X509Certificate> cert = PeerCertificate.of(call);
        Optional<Caller> caller = Optional.empty();
        if (cert.isPresent()) {
            try {
                caller = Optional.of(Caller.of(PeerIdentity.of(cert.get()), cert.get()));
            } catch (InvalidCertificateException e) {
                return new Verdict(Optional.empty(), Status.UNAUTHENTICATED.withDescription(e.getMessage()));
            }
        }
        if (rule.isEmpty()) {
            return new Verdict(caller, Status.PERMISSION_DENIED.withDescription("no access rule for this method"));
        }
        Optional<CertificateRole> needed = rule.get().role();
        if (needed.isEmpty()) {
            return new Verdict(caller, null); // Enroll: the token is the credential
        }
        if (caller.isEmpty()) {
            return new Verdict(caller, Status.UNAUTHENTICATED.withDescription(
                    "a client certificate is required (enroll first: fedlora admin enroll-token)"));
        }
        Caller c = caller.get();
        if (revoked.test(c.subjectId())) {
            return new Verdict(caller, Status.UNAUTHENTICATED.withDescription("the certificate of " + c
                    + " has been revoked"));
        }
        // The handshake checked validity when the connection opened; a connection may outlive it.
        if (!cert.get().getNotAfter().toInstant().isAfter(clock.instant())) {
            return new Verdict(caller, Status.UNAUTHENTICATED.withDescription("the certificate of " + c
                    + " has expired (renew it before it does, or enrol again)"));
        }
        if (!c.role().includes(needed.get())) {
            return new Verdict(caller, Status.PERMISSION_DENIED.withDescription("role " + c.role().label()
                    + " may not call " + AccessPolicy.action(call.getMethodDescriptor().getFullMethodName())
                    + " (needs " + needed.get().label() + ")"));
        }
        return new Verdict(caller, null);
    }

    private void auditRefusal(Optional<Caller> caller, String action, Status refusal) {
        audit.record(actor(caller), role(caller), action, "", refusal);
    }

    private static String actor(Optional<Caller> caller) {
        return caller.map(Caller::subjectId).orElse("anonymous");
    }

    private static String role(Optional<Caller> caller) {
        return caller.map(c -> c.development() ? "development" : c.role().label()).orElse("");
    }

    /** Remembers what an audited call was about and writes its audit entry when it closes. */
    private final class AuditedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private final Optional<Caller> caller;
        private final String action;
        private final Set<String> target = new LinkedHashSet<>();

        AuditedCall(ServerCall<Q, R> call, Optional<Caller> caller, String action) {
            super(call);
            this.caller = caller;
            this.action = action;
        }

        synchronized void noteRequest(Object message) {
            if (message instanceof Message m && target.isEmpty()) {
                target.add(AuditTrail.describe(m));
            }
        }

        @Override
        public void sendMessage(R message) {
            if (message instanceof Message m) {
                synchronized (this) {
                    target.add(AuditTrail.describe(m));
                }
            }
            super.sendMessage(message);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            String t;
            synchronized (this) {
                target.remove("");
                t = String.join(" ", target);
            }
            audit.record(actor(caller), role(caller), action, t, status);
            super.close(status, trailers);
        }
    }
}
