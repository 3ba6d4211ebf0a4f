package io.fedlora.crypto.pki;

import io.fedlora.crypto.Ed25519PublicKey;
import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a {@link CertificateAuthority} is asked to certify. The CA builds the subject itself from
 * {@code subjectId} and {@code role}; nothing of a requester's own subject is copied.
 *
 * @param hostNames for a server certificate: DNS names and IP literals to put in its SAN
 */
public record IssueRequest(String subjectId, CertificateRole role, PublicKey publicKey,
    Optional<Ed25519PublicKey> identityKey, Instant notBefore, Instant notAfter, List<String> hostNames) {

  public IssueRequest {
    CertificateProfile.requireSubjectId(subjectId);
    hostNames = List.copyOf(hostNames);
    if (role == null || publicKey == null || identityKey == null || notBefore == null || notAfter == null) {
      throw new IllegalArgumentException("role, publicKey, identityKey, notBefore and notAfter are required");
    }
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException("notAfter must be after notBefore");
    }
    if (role == CertificateRole.AGENT && identityKey.isEmpty()) {
      throw new IllegalArgumentException("an agent certificate must carry the node's identity key");
    }
    if (role != CertificateRole.COORDINATOR && !hostNames.isEmpty()) {
      throw new IllegalArgumentException("only the coordinator's certificate names hosts");
    }
    if (role == CertificateRole.COORDINATOR && hostNames.isEmpty()) {
      throw new IllegalArgumentException("the coordinator's certificate needs at least one host name");
    }
  }

  /** A client certificate (agent or operator). */
  public static IssueRequest client(String subjectId, CertificateRole role, PublicKey key,
      Optional<Ed25519PublicKey> identityKey, Instant notBefore, Instant notAfter) {
    return new IssueRequest(subjectId, role, key, identityKey, notBefore, notAfter, List.of());
  }

  /** The coordinator's TLS server certificate for {@code hostNames}. */
  public static IssueRequest server(List<String> hostNames, PublicKey key, Instant notBefore, Instant notAfter) {
    return new IssueRequest("coordinator", CertificateRole.COORDINATOR, key, Optional.empty(), notBefore, notAfter,
        hostNames);
  }
}
