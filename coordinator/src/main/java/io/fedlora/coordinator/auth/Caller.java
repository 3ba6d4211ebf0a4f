package io.fedlora.coordinator.auth;

import io.fedlora.coordinator.CoordinatorException.PermissionDenied;
import io.fedlora.coordinator.CoordinatorException.Unauthenticated;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.PeerIdentity;
import io.grpc.Context;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Who is making the current call, as {@link CallAuthorizer} established it from the verified client
 * certificate, or the all-powerful development caller of a coordinator run with
 * {@code --insecure-transport}. Service code reads it with {@link #current()}.
 */
public record Caller(String subjectId, CertificateRole role, Optional<Ed25519PublicKey> identityKey,
        boolean development, Optional<X509Certificate> certificate) {

    static final Context.Key<Caller> KEY = Context.key("fedlora-caller");

    /** Plaintext development transport: no certificates, so no identity to check against. */
    public static final Caller DEVELOPMENT = new Caller("development", CertificateRole.ADMIN, Optional.empty(), true,
            Optional.empty());

    /** The caller {@code cert} (verified in the handshake) names. */
    public static Caller of(PeerIdentity id, X509Certificate cert) {
        return new Caller(id.subjectId(), id.role(), id.identityKey(), false, Optional.of(cert));
    }

    /** The caller of the current gRPC call; UNAUTHENTICATED if none was established (fail closed). */
    public static Caller current() {
        Caller c = KEY.get();
        if (c == null) {
            throw new Unauthenticated("no authenticated caller");
        }
        return c;
    }

    /**
     * Refuses with PERMISSION_DENIED unless this caller is the agent {@code nodeId}: a node may
     * register, connect, fetch, submit and report only as itself.
     */
    public void requireActingFor(String nodeId) {
        if (development) {
            return;
        }
        if (role != CertificateRole.AGENT || !subjectId.equals(nodeId)) {
            throw new PermissionDenied("node_id: this client's certificate is for " + this + ", not node '"
                    + nodeId + "'");
        }
    }

    public boolean isAgent() {
        return !development && role == CertificateRole.AGENT;
    }

    @Override
    public String toString() {
        return development ? "development" : role.label() + " " + subjectId;
    }
}
