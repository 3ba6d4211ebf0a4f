package io.fedlora.coordinator.trust;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.Unauthenticated;
import io.fedlora.coordinator.store.EnrollmentTokenRecord;
import io.fedlora.coordinator.store.TrustRecordStore;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.InvalidSignatureException;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.CertificateSigningRequest;
import io.fedlora.crypto.pki.IdentityProof;
import io.fedlora.crypto.pki.InvalidCertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a token and a certificate request into a certificate. Every check runs before anything is
 * written; the token is spent and the certificate recorded in one store transaction, so a refused
 * or lost-race request changes nothing.
 */
public final class Enrollment {

    private static final Logger log = LoggerFactory.getLogger(Enrollment.class);

    private final TrustRecordStore store;
    private final CoordinatorPki pki;
    private final EnrollmentTokens tokens;
    private final Duration validity;
    private final InstantSource clock;

    /** What enrollment produced: the subject id (node id for agents) and its certificate. */
    public record Enrolled(String subjectId, CertificateRole role, X509Certificate certificate) {}

    public Enrollment(TrustRecordStore store, CoordinatorPki pki, EnrollmentTokens tokens, Duration validity,
            InstantSource clock) {
        this.clock = clock;
        this.store = store;
        this.pki = pki;
        this.tokens = tokens;
        this.validity = validity;
    }

    public Enrolled enroll(String token, String name, byte[] csrDer, byte[] identityProof) {
        EnrollmentTokenRecord t = tokens.check(token, name);
        CertificateSigningRequest csr;
        try {
            csr = CertificateSigningRequest.parse(csrDer);
        } catch (InvalidCertificateException e) {
            throw new InvalidArgument(e.getMessage());
        }
        Optional<Ed25519PublicKey> identity = csr.identityKey();
        if (t.role() == CertificateRole.AGENT) {
            if (identity.isEmpty()) {
                throw new InvalidArgument("csr: an agent's request must carry its Ed25519 identity key");
            }
            try {
                IdentityProof.verify(identity.get(), csr.publicKey(), identityProof);
            } catch (InvalidSignatureException e) {
                throw new InvalidArgument("identity_key_proof: does not verify with the identity key in the csr");
            }
        } else if (identity.isPresent()) {
            throw new InvalidArgument("csr: only agents carry an identity key");
        }
        // Agents get a fresh node id (names need not be unique); operators are known by their name.
        String subjectId = t.role() == CertificateRole.AGENT ? UUID.randomUUID().toString() : name;
        X509Certificate cert = pki.issueClient(subjectId, t.role(), csr.publicKey(), identity, validity);
        String keyHex = identity.map(k -> HexFormat.of().formatHex(k.toBytes())).orElse("");
        if (!store.redeemEnrollmentToken(t.tokenSha256(), Math.max(1, clock.millis()),
                CoordinatorPki.record(cert, subjectId, name, t.role(), keyHex))) {
            throw new Unauthenticated("token: this enrollment token has already been used");
        }
        log.info("enrolled '{}' as {} {} (certificate serial {})", name, t.role().label(), subjectId,
                cert.getSerialNumber().toString(16));
        return new Enrolled(subjectId, t.role(), cert);
    }
}
