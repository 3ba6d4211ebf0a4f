package io.fedlora.coordinator.store;

import io.fedlora.crypto.pki.CertificateRole;

/**
 * A certificate the coordinator's CA issued: who it names and until when. The certificate itself is
 * public and can be re-derived from nothing here; this is the register revocation works from.
 *
 * @param identityKeyHex an agent's Ed25519 identity key (hex), empty for operators
 */
public record CertificateRecord(String serialHex, String subjectId, String name, CertificateRole role,
        String identityKeyHex, long issuedUnixMs, long expiresUnixMs) {

    public CertificateRecord {
        identityKeyHex = identityKeyHex == null ? "" : identityKeyHex;
    }
}
