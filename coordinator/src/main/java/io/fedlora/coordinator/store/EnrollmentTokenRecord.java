package io.fedlora.coordinator.store;

import io.fedlora.crypto.pki.CertificateRole;

/**
 * A one-time enrollment token as stored: only its sha256, never the token. {@code usedUnixMs} is 0
 * until it is redeemed, then {@code usedBy} names the subject it enrolled.
 */
public record EnrollmentTokenRecord(String tokenSha256, String name, CertificateRole role, long createdUnixMs,
        long expiresUnixMs, String createdBy, long usedUnixMs, String usedBy) {

    public EnrollmentTokenRecord {
        usedBy = usedBy == null ? "" : usedBy;
    }

    public boolean isUsed() {
        return usedUnixMs != 0;
    }

    public boolean isExpiredAt(long unixMs) {
        return unixMs >= expiresUnixMs;
    }
}
