package io.fedlora.coordinator.store;

import java.util.List;
import java.util.Optional;

/**
 * The records trust is decided from: enrollment tokens (by hash only), issued certificates and
 * revocations. (Not a TLS trust store: the CA's key and certificate live in the PKI directory.)
 */
public interface TrustRecordStore {

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
}
