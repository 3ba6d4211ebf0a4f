package io.fedlora.crypto.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority: its certificate and private key. Issues fedlora's client and server
 * certificates ({@link CertificateProfile}). The private key never leaves this object except
 * through {@link #privateKey()}, for the one caller that stores it at rest.
 */
public final class CertificateAuthority {

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final String signatureAlgorithm;

  private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
    this.signatureAlgorithm = EcKeys.signatureAlgorithm(certificate.getPublicKey());
  }

  /** A new self-signed CA with an EC P-256 key, valid from {@code now} for {@code validity}. */
  public static CertificateAuthority generate(String commonName, Instant now, Duration validity, SecureRandom random) {
    KeyPair kp = EcKeys.generateP256(random);
    X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, CertificateProfile.ORGANISATION)
        .addRDN(BCStyle.CN, commonName).build();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(random),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), name, kp.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      return new CertificateAuthority(sign(b, kp.getPrivate(), "SHA256withECDSA"), kp.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot create a CA certificate", e);
    }
  }

  /**
   * An existing CA (e.g. supplied by the operator): the certificate must be a CA certificate allowed
   * to sign certificates, and {@code key} must be its private key.
   */
  public static CertificateAuthority of(X509Certificate certificate, PrivateKey key)
      throws InvalidCertificateException {
    if (certificate.getBasicConstraints() < 0) {
      throw new InvalidCertificateException("the CA certificate is not a CA certificate (basicConstraints)");
    }
    boolean[] usage = certificate.getKeyUsage();
    if (usage != null && !usage[5]) {
      throw new InvalidCertificateException("the CA certificate may not sign certificates (keyUsage keyCertSign)");
    }
    String alg;
    try {
      alg = EcKeys.signatureAlgorithm(certificate.getPublicKey());
    } catch (IllegalArgumentException e) {
      throw new InvalidCertificateException(e.getMessage());
    }
    if (!keyMatches(key, certificate.getPublicKey(), alg)) {
      throw new InvalidCertificateException("the CA private key does not belong to the CA certificate");
    }
    return new CertificateAuthority(certificate, key);
  }

  private static boolean keyMatches(PrivateKey key, PublicKey pub, String alg) {
    try {
      byte[] probe = "fedlora CA key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** For storing the key at rest (encrypted or owner-only); never log or send it. */
  public PrivateKey privateKey() {
    return key;
  }

  /** Issues a certificate for {@code r}, clamped to this CA's own validity. */
  public X509Certificate issue(IssueRequest r, SecureRandom random) {
    Instant notAfter = r.notAfter().isAfter(certificate.getNotAfter().toInstant())
        ? certificate.getNotAfter().toInstant() : r.notAfter();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(random),
          Date.from(r.notBefore()), Date.from(notAfter), CertificateProfile.subject(r.subjectId(), r.role()),
          r.publicKey())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
              r.role() == CertificateRole.COORDINATOR ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(r.publicKey()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate))
          .addExtension(Extension.subjectAlternativeName, false, alternativeNames(r));
      if (r.identityKey().isPresent()) {
        b.addExtension(CertificateProfile.IDENTITY_KEY, false, new DEROctetString(r.identityKey().get().toBytes()));
      }
      return sign(b, key, signatureAlgorithm);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue a certificate", e);
    }
  }

  private static GeneralNames alternativeNames(IssueRequest r) {
    List<GeneralName> names = new ArrayList<>();
    if (r.role() == CertificateRole.COORDINATOR) {
      for (String h : r.hostNames()) {
        boolean ip = h.matches("[0-9.]+") || h.contains(":");
        names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, h));
      }
    } else {
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier,
          CertificateProfile.subjectUri(r.subjectId(), r.role())));
    }
    return new GeneralNames(names.toArray(GeneralName[]::new));
  }

  /** 127 random bits, positive and at most 16 octets as RFC 5280 asks. */
  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).setBit(0);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key, String alg)
      throws GeneralSecurityException {
    try {
      X509CertificateHolder h = b.build(new JcaContentSignerBuilder(alg).build(key));
      return new JcaX509CertificateConverter().getCertificate(h);
    } catch (OperatorCreationException e) {
      throw new CertificateException("cannot sign with " + alg, e);
    }
  }

  @Override
  public String toString() {
    return "CertificateAuthority[" + certificate.getSubjectX500Principal().getName() + ", key redacted]";
  }
}
