package io.fedlora.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.InvalidSignatureException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

  private static final Instant NOW = Instant.parse("2026-01-10T10:00:00Z");
  private final SecureRandom random = new SecureRandom();
  private final CertificateAuthority ca = CertificateAuthority.generate("test CA", NOW, Duration.ofDays(3650), random);

  @TempDir
  Path dir;

  @Test
  void agentCertificateCarriesNodeIdRoleAndIdentityKeyAndChainsToTheCa() throws Exception {
    Ed25519PrivateKey identity = Ed25519PrivateKey.generate(random);
    KeyPair tls = EcKeys.generateP256(random);
    byte[] der = CertificateSigningRequest.create(tls, "hospital-a", Optional.of(identity.publicKey()));
    CertificateSigningRequest csr = CertificateSigningRequest.parse(der);
    assertEquals(identity.publicKey(), csr.identityKey().orElseThrow());

    X509Certificate cert = ca.issue(IssueRequest.client("2b7c1a9e-node", CertificateRole.AGENT, csr.publicKey(),
        csr.identityKey(), NOW, NOW.plus(Duration.ofDays(365))), random);
    PeerIdentity id = PeerIdentity.of(cert);
    assertEquals("2b7c1a9e-node", id.subjectId());
    assertEquals(CertificateRole.AGENT, id.role());
    assertEquals(identity.publicKey(), id.identityKey().orElseThrow());
    assertEquals(List.of("urn:fedlora:agent:2b7c1a9e-node"), PeerIdentity.uris(cert));
    assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "clientAuth");
    assertEquals(-1, cert.getBasicConstraints());
    validate(cert, ca.certificate(), NOW.plus(Duration.ofDays(1)));
  }

  @Test
  void serverCertificateNamesItsHostsAndIsForServerAuthOnly() throws Exception {
    KeyPair kp = EcKeys.generateP256(random);
    X509Certificate cert = ca.issue(IssueRequest.server(List.of("localhost", "127.0.0.1", "coord.example"),
        kp.getPublic(), NOW, NOW.plus(Duration.ofDays(30))), random);
    var names = cert.getSubjectAlternativeNames().stream().map(l -> l.get(1)).toList();
    assertEquals(List.of("localhost", "127.0.0.1", "coord.example"), names);
    assertEquals(List.of("1.3.6.1.5.5.7.3.1"), cert.getExtendedKeyUsage());
    assertEquals(CertificateRole.COORDINATOR, PeerIdentity.of(cert).role());
  }

  @Test
  void expiredAndForeignCertificatesDoNotValidate() throws Exception {
    KeyPair kp = EcKeys.generateP256(random);
    X509Certificate expired = ca.issue(IssueRequest.client("alice", CertificateRole.VIEWER, kp.getPublic(),
        Optional.empty(), NOW.minus(Duration.ofDays(10)), NOW.minus(Duration.ofDays(1))), random);
    assertThrows(CertPathValidatorException.class, () -> validate(expired, ca.certificate(), NOW));

    CertificateAuthority other = CertificateAuthority.generate("other", NOW, Duration.ofDays(10), random);
    X509Certificate foreign = other.issue(IssueRequest.client("alice", CertificateRole.ADMIN, kp.getPublic(),
        Optional.empty(), NOW, NOW.plus(Duration.ofDays(1))), random);
    assertThrows(CertPathValidatorException.class, () -> validate(foreign, ca.certificate(), NOW));
  }

  @Test
  void leafValidityIsClampedToTheCas() {
    CertificateAuthority shortLived = CertificateAuthority.generate("short", NOW, Duration.ofDays(2), random);
    X509Certificate c = shortLived.issue(IssueRequest.client("bob", CertificateRole.OPERATOR,
        EcKeys.generateP256(random).getPublic(), Optional.empty(), NOW, NOW.plus(Duration.ofDays(365))), random);
    assertFalse(c.getNotAfter().after(shortLived.certificate().getNotAfter()));
  }

  @Test
  void requestsThatAreTamperedMalformedOrNotP256AreRefused() throws Exception {
    KeyPair tls = EcKeys.generateP256(random);
    byte[] der = CertificateSigningRequest.create(tls, "n", Optional.empty());
    byte[] tampered = der.clone();
    tampered[tampered.length / 2] ^= 1;
    assertThrows(InvalidCertificateException.class, () -> CertificateSigningRequest.parse(tampered));
    assertThrows(InvalidCertificateException.class, () -> CertificateSigningRequest.parse(new byte[] {1, 2, 3}));
    assertThrows(InvalidCertificateException.class, () -> CertificateSigningRequest.parse(new byte[0]));
    assertThrows(InvalidCertificateException.class,
        () -> CertificateSigningRequest.parse(new byte[CertificateSigningRequest.MAX_DER_BYTES + 1]));

    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp384r1"));
    byte[] p384 = CertificateSigningRequest.create(g.generateKeyPair(), "n", Optional.empty());
    InvalidCertificateException e = assertThrows(InvalidCertificateException.class,
        () -> CertificateSigningRequest.parse(p384));
    assertTrue(e.getMessage().contains("P-256"), e.getMessage());
    assertTrue(CertificateSigningRequest.parse(der).identityKey().isEmpty());
  }

  @Test
  void identityProofBindsTheIdentityKeyToTheTlsKey() throws Exception {
    Ed25519PrivateKey identity = Ed25519PrivateKey.generate(random);
    KeyPair tls = EcKeys.generateP256(random);
    byte[] proof = IdentityProof.sign(identity, tls.getPublic()).toByteArray();
    IdentityProof.verify(identity.publicKey(), tls.getPublic(), proof);
    assertThrows(InvalidSignatureException.class,
        () -> IdentityProof.verify(identity.publicKey(), EcKeys.generateP256(random).getPublic(), proof));
    assertThrows(InvalidSignatureException.class, () -> IdentityProof.verify(
        Ed25519PrivateKey.generate(random).publicKey(), tls.getPublic(), proof));
  }

  @Test
  void privateKeysRoundTripThroughPemWithAndWithoutAPassword() throws Exception {
    String plain = Pem.privateKey(ca.privateKey(), Optional.empty(), random);
    assertTrue(plain.startsWith("-----BEGIN PRIVATE KEY-----"), plain.lines().findFirst().orElse(""));
    assertArrayEquals(ca.privateKey().getEncoded(), Pem.parsePrivateKey(plain, Optional.empty()).getEncoded());

    char[] pw = "correct horse".toCharArray();
    String enc = Pem.privateKey(ca.privateKey(), Optional.of(pw), random);
    assertTrue(enc.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assertArrayEquals(ca.privateKey().getEncoded(), Pem.parsePrivateKey(enc, Optional.of(pw)).getEncoded());
    assertThrows(InvalidCertificateException.class,
        () -> Pem.parsePrivateKey(enc, Optional.of("wrong".toCharArray())));
    InvalidCertificateException none = assertThrows(InvalidCertificateException.class,
        () -> Pem.parsePrivateKey(enc, Optional.empty()));
    assertTrue(none.getMessage().contains("no password"), none.getMessage());
  }

  @Test
  void anExistingCaMustBeACaAndComeWithItsOwnKey() throws Exception {
    CertificateAuthority same = CertificateAuthority.of(ca.certificate(), ca.privateKey());
    assertEquals(ca.certificate(), same.certificate());
    CertificateAuthority other = CertificateAuthority.generate("other", NOW, Duration.ofDays(10), random);
    assertThrows(InvalidCertificateException.class, () -> CertificateAuthority.of(ca.certificate(), other.privateKey()));
    KeyPair kp = EcKeys.generateP256(random);
    X509Certificate leaf = ca.issue(IssueRequest.client("x", CertificateRole.VIEWER, kp.getPublic(), Optional.empty(),
        NOW, NOW.plusSeconds(60)), random);
    assertThrows(InvalidCertificateException.class, () -> CertificateAuthority.of(leaf, kp.getPrivate()));
  }

  @Test
  void credentialsAreStoredOwnerOnlyAndAnExposedKeyIsRefused() throws Exception {
    KeyPair kp = EcKeys.generateP256(random);
    X509Certificate cert = ca.issue(IssueRequest.client("admin", CertificateRole.ADMIN, kp.getPublic(),
        Optional.empty(), NOW, NOW.plusSeconds(3600)), random);
    Path d = dir.resolve("tls");
    new TlsCredentials(kp.getPrivate(), cert, ca.certificate()).store(d, random);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d.resolve("client.key"))));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
    TlsCredentials back = TlsCredentials.load(d);
    assertEquals(cert, back.certificate());
    assertEquals(ca.certificate(), back.caCertificate());
    assertFalse(back.toString().contains("BEGIN"));

    Files.setPosixFilePermissions(d.resolve("client.key"), Set.of(
        java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OTHERS_READ));
    var e = assertThrows(java.io.IOException.class, () -> TlsCredentials.load(d));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void subjectsOutsideTheProfileAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> CertificateProfile.subject("a b", CertificateRole.AGENT));
    assertThrows(IllegalArgumentException.class, () -> CertificateProfile.subject("x,OU=admin", CertificateRole.AGENT));
    assertThrows(IllegalArgumentException.class, () -> IssueRequest.client("n", CertificateRole.AGENT,
        EcKeys.generateP256(random).getPublic(), Optional.empty(), NOW, NOW.plusSeconds(1)));
    assertTrue(CertificateRole.ADMIN.includes(CertificateRole.VIEWER));
    assertFalse(CertificateRole.VIEWER.includes(CertificateRole.OPERATOR));
    assertFalse(CertificateRole.ADMIN.includes(CertificateRole.AGENT));
    assertFalse(CertificateRole.AGENT.includes(CertificateRole.VIEWER));
  }

  private static void validate(X509Certificate leaf, X509Certificate root, Instant at) throws Exception {
    var path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
    PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    p.setRevocationEnabled(false);
    p.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX").validate(path, p);
  }
}
