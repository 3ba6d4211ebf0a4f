package io.fedlora.coordinator.trust;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.PermissionDenied;
import io.fedlora.coordinator.CoordinatorException.Unauthenticated;
import io.fedlora.coordinator.store.CertificateRecord;
import io.fedlora.coordinator.store.TrustRecordStore;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.InvalidSignatureException;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.CertificateSigningRequest;
import io.fedlora.crypto.pki.IdentityProof;
import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.PeerIdentity;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews an agent's certificate for the agent itself: the caller's current certificate (verified
 * in the handshake) fixes who the new one names, so a node can only ever renew its own identity.
 * The new certificate has the same node id and identity key, a fresh TLS key the node proves it
 * holds (CSR signature) and binds to its identity key (proof), and the full client lifetime from
 * now. The old certificate stays valid until it expires. Every check runs before anything is
 * written.
 */
public final class CertificateRenewal {

    private static final Logger log = LoggerFactory.getLogger(CertificateRenewal.class);

    private final TrustRecordStore store;
    private final CoordinatorPki pki;
    private final Predicate<String> revoked;
    private final Duration validity;
    private final InstantSource clock;

    public CertificateRenewal(TrustRecordStore store, CoordinatorPki pki, Predicate<String> revoked, Duration validity,
            InstantSource clock) {
        this.store = store;
        this.pki = pki;
        this.revoked = revoked;
        this.validity = validity;
        this.clock = clock;
    }

    /**
     * @param current the certificate the caller presented
     * @param subjectId the node the caller asks to renew; must be the one {@code current} names
     */
    public Enrollment.Enrolled renew(X509Certificate current, String subjectId, byte[] csrDer, byte[] identityProof) {
        PeerIdentity caller;
        try {
            caller = PeerIdentity.of(current);
        } catch (InvalidCertificateException e) {
            throw new Unauthenticated(e.getMessage());
        }
        if (caller.role() != CertificateRole.AGENT || !caller.subjectId().equals(subjectId)) {
            throw new PermissionDenied("subject_id: this client's certificate is for " + caller + ", not node '"
                    + subjectId + "'");
        }
        if (!current.getNotAfter().toInstant().isAfter(clock.instant())) {
            throw new Unauthenticated("the certificate of " + caller + " has expired; enrol again");
        }
        if (revoked.test(caller.subjectId())) {
            throw new Unauthenticated("the certificate of " + caller + " has been revoked");
        }
        String serial = current.getSerialNumber().toString(16);
        // Only what this coordinator's register knows is extended (not a certificate minted outside it).
        CertificateRecord issued = store.certificates().stream()
                .filter(c -> c.serialHex().equals(serial) && c.subjectId().equals(caller.subjectId()))
                .findFirst()
                .orElseThrow(() -> new Unauthenticated("certificate " + serial + " of " + caller
                        + " is not in this coordinator's register"));
        CertificateSigningRequest csr;
        try {
            csr = CertificateSigningRequest.parse(csrDer);
        } catch (InvalidCertificateException e) {
            throw new InvalidArgument(e.getMessage());
        }
        Ed25519PublicKey identity = csr.identityKey().orElseThrow(() -> new InvalidArgument(
                "csr: an agent's request must carry its Ed25519 identity key"));
        if (!Optional.of(identity).equals(caller.identityKey())) {
            throw new PermissionDenied("csr: the identity key is not the one certified for " + caller);
        }
        try {
            IdentityProof.verify(identity, csr.publicKey(), identityProof);
        } catch (InvalidSignatureException e) {
            throw new InvalidArgument("identity_key_proof: does not verify with the identity key in the csr");
        }
        if (csr.publicKey().equals(current.getPublicKey())) {
            throw new InvalidArgument("csr: renewal needs a fresh TLS key, not the current certificate's");
        }
        X509Certificate cert = pki.issueClient(caller.subjectId(), CertificateRole.AGENT, csr.publicKey(),
                Optional.of(identity), validity);
        store.insertCertificate(CoordinatorPki.record(cert, caller.subjectId(), issued.name(), CertificateRole.AGENT,
                HexFormat.of().formatHex(identity.toBytes())));
        log.info("renewed the certificate of node {} ('{}'): serial {} replaces {}, valid until {}",
                caller.subjectId(), issued.name(), cert.getSerialNumber().toString(16), serial,
                cert.getNotAfter().toInstant());
        return new Enrollment.Enrolled(caller.subjectId(), CertificateRole.AGENT, cert);
    }
}
