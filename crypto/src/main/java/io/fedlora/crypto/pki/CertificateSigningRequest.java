package io.fedlora.crypto.pki;

import io.fedlora.crypto.Ed25519PublicKey;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A PKCS#10 request as fedlora uses it: an EC P-256 key made on the client, and for an agent its
 * Ed25519 identity public key as a requested extension. The CA takes only the public key and the
 * identity key from it; the subject is informational.
 */
public final class CertificateSigningRequest {

  /** Far above a P-256 request with one extension (about 300 bytes); bounds what a caller may send. */
  public static final int MAX_DER_BYTES = 4096;

  private final PublicKey publicKey;
  private final Optional<Ed25519PublicKey> identityKey;

  private CertificateSigningRequest(PublicKey publicKey, Optional<Ed25519PublicKey> identityKey) {
    this.publicKey = publicKey;
    this.identityKey = identityKey;
  }

  /** The DER of a request for {@code keys}, signed with its private half. */
  public static byte[] create(KeyPair keys, String name, Optional<Ed25519PublicKey> identityKey) {
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    try {
      JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic());
      if (identityKey.isPresent()) {
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(CertificateProfile.IDENTITY_KEY, false, new DEROctetString(identityKey.get().toBytes()));
        b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded();
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build a certificate request", e);
    }
  }

  /** Parses and verifies a request: well-formed DER, a valid self-signature, an EC P-256 key. */
  public static CertificateSigningRequest parse(byte[] der) throws InvalidCertificateException {
    if (der.length == 0 || der.length > MAX_DER_BYTES) {
      throw new InvalidCertificateException("csr: must be 1-" + MAX_DER_BYTES + " bytes of DER, got " + der.length);
    }
    JcaPKCS10CertificationRequest req;
    PublicKey key;
    try {
      req = new JcaPKCS10CertificationRequest(new PKCS10CertificationRequest(der));
      key = req.getPublicKey();
      if (!req.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new InvalidCertificateException("csr: its signature does not verify");
      }
    } catch (IOException | RuntimeException | GeneralSecurityException | OperatorCreationException
             | PKCSException e) {
      if (e instanceof InvalidCertificateException ice) {
        throw ice;
      }
      throw new InvalidCertificateException("csr: not a valid PKCS#10 request", e);
    }
    if (!EcKeys.isP256(key)) {
      throw new InvalidCertificateException("csr: the key must be EC P-256");
    }
    return new CertificateSigningRequest(key, identityKey(req.getRequestedExtensions()));
  }

  private static Optional<Ed25519PublicKey> identityKey(Extensions requested) throws InvalidCertificateException {
    if (requested == null) {
      return Optional.empty();
    }
    Extension e = requested.getExtension(CertificateProfile.IDENTITY_KEY);
    if (e == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Ed25519PublicKey.fromBytes(ASN1OctetString.getInstance(e.getParsedValue()).getOctets()));
    } catch (IllegalArgumentException ex) {
      throw new InvalidCertificateException("csr: the identity key extension must hold a 32-byte Ed25519 key", ex);
    }
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  public Optional<Ed25519PublicKey> identityKey() {
    return identityKey;
  }
}
