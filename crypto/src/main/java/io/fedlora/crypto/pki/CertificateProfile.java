package io.fedlora.crypto.pki;

import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * How fedlora names things in certificates. Subject {@code O=fedlora, OU=<role>, CN=<subject id>}
 * (node id for agents, the operator's name otherwise) and a URI SAN {@code urn:fedlora:<role>:<id>};
 * an agent's certificate also carries its Ed25519 SecAgg identity key in {@link #IDENTITY_KEY}.
 */
public final class CertificateProfile {

  /**
   * The node's Ed25519 identity public key: an OCTET STRING of its 32 bytes, non-critical. Under
   * the UUID arc 2.25 (ITU-T X.667), so it needs no registered enterprise number.
   */
  public static final ASN1ObjectIdentifier IDENTITY_KEY =
      new ASN1ObjectIdentifier("2.25.292626536054485932693416383604443172607");

  public static final String ORGANISATION = "fedlora";

  /** Node ids (UUIDs), operator and node names: 1-64 characters, no spaces or separators. */
  public static final Pattern SUBJECT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private CertificateProfile() {}

  public static X500Name subject(String subjectId, CertificateRole role) {
    requireSubjectId(subjectId);
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, ORGANISATION)
        .addRDN(BCStyle.OU, role.label())
        .addRDN(BCStyle.CN, subjectId)
        .build();
  }

  public static String subjectUri(String subjectId, CertificateRole role) {
    return "urn:fedlora:" + role.label() + ":" + subjectId;
  }

  public static void requireSubjectId(String subjectId) {
    if (subjectId == null || !SUBJECT_ID.matcher(subjectId).matches()) {
      throw new IllegalArgumentException(
          "a subject id or name is 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit");
    }
  }
}
