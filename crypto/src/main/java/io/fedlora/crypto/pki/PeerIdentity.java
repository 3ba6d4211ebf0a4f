package io.fedlora.crypto.pki;

import io.fedlora.crypto.Ed25519PublicKey;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Who a fedlora certificate names: its subject id (node id or operator name), role, and for agents
 * the Ed25519 identity key it was enrolled with. Only meaningful for a certificate whose chain has
 * already been verified (by the TLS handshake or the CA).
 */
public record PeerIdentity(String subjectId, CertificateRole role, Optional<Ed25519PublicKey> identityKey,
    BigInteger serial) {

  public PeerIdentity {
    CertificateProfile.requireSubjectId(subjectId);
    if (role == null || identityKey == null || serial == null) {
      throw new IllegalArgumentException("role, identityKey and serial are required");
    }
  }

  /** Reads the identity out of a certificate that follows {@link CertificateProfile}. */
  public static PeerIdentity of(X509Certificate cert) throws InvalidCertificateException {
    X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    String id = single(subject, "CN");
    String label = single(subject, "OU");
    CertificateRole role;
    try {
      role = CertificateRole.fromLabel(label);
      CertificateProfile.requireSubjectId(id);
    } catch (IllegalArgumentException e) {
      throw new InvalidCertificateException("certificate subject does not follow the fedlora profile: "
          + e.getMessage());
    }
    Optional<Ed25519PublicKey> key = identityKey(cert);
    if (role == CertificateRole.AGENT && key.isEmpty()) {
      throw new InvalidCertificateException("agent certificate of " + id + " carries no identity key");
    }
    return new PeerIdentity(id, role, key, cert.getSerialNumber());
  }

  private static String single(X500Name name, String attribute) throws InvalidCertificateException {
    RDN[] rdns = name.getRDNs("CN".equals(attribute) ? BCStyle.CN : BCStyle.OU);
    if (rdns.length != 1 || rdns[0].isMultiValued()) {
      throw new InvalidCertificateException("certificate subject must have exactly one " + attribute);
    }
    return IETFUtils.valueToString(rdns[0].getFirst().getValue());
  }

  /** The identity key extension, if present; malformed is an error, not absent. */
  public static Optional<Ed25519PublicKey> identityKey(X509Certificate cert) throws InvalidCertificateException {
    byte[] ext = cert.getExtensionValue(CertificateProfile.IDENTITY_KEY.getId());
    if (ext == null) {
      return Optional.empty();
    }
    try {
      // getExtensionValue returns the extnValue OCTET STRING; inside it, our OCTET STRING of 32 bytes.
      ASN1OctetString outer = ASN1OctetString.getInstance(ext);
      ASN1OctetString inner = ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(outer.getOctets()));
      return Optional.of(Ed25519PublicKey.fromBytes(inner.getOctets()));
    } catch (IOException | IllegalArgumentException e) {
      throw new InvalidCertificateException("certificate identity key extension is malformed", e);
    }
  }

  /** The URI subject alternative names of {@code cert} (for checks and display). */
  public static List<String> uris(X509Certificate cert) throws InvalidCertificateException {
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans == null) {
        return List.of();
      }
      return sans.stream().filter(e -> Integer.valueOf(6).equals(e.get(0))).map(e -> (String) e.get(1)).toList();
    } catch (CertificateParsingException e) {
      throw new InvalidCertificateException("certificate alternative names are malformed", e);
    }
  }

  @Override
  public String toString() {
    return role.label() + ":" + subjectId;
  }
}
