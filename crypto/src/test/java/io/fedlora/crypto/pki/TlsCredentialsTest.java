package io.fedlora.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.fedlora.crypto.Ed25519PrivateKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replacing a renewed key and certificate: owner-only, never a key with another key's certificate. */
class TlsCredentialsTest {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final CertificateAuthority CA =
      CertificateAuthority.generate("test CA", Instant.now(), Duration.ofDays(1), RANDOM);
  private static final Ed25519PrivateKey IDENTITY = Ed25519PrivateKey.generate(RANDOM);

  @TempDir
  Path dir;

  @Test
  void aReplacementIsMovedIntoPlaceOwnerOnly() throws Exception {
    credentials().store(dir, RANDOM);
    TlsCredentials renewed = credentials();
    renewed.replace(dir, RANDOM);
    TlsCredentials loaded = TlsCredentials.load(dir);
    assertEquals(renewed.certificate(), loaded.certificate());
    assertEquals(renewed.key(), loaded.key());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
        dir.resolve(TlsCredentials.KEY_FILE))));
    assertFalse(Files.exists(dir.resolve("renewing")));
  }

  @Test
  void aCrashAfterStagingIsFinishedByTheNextLoad() throws Exception {
    credentials().store(dir, RANDOM);
    TlsCredentials renewed = credentials();
    // Staged completely, and the key already moved, when the process died.
    Path staging = dir.resolve("renewing");
    PrivateFiles.writeSecret(dir.resolve(TlsCredentials.KEY_FILE), Pem.privateKey(renewed.key(), Optional.empty(), RANDOM));
    PrivateFiles.writePublic(staging.resolve(TlsCredentials.CERT_FILE), Pem.certificate(renewed.certificate()));
    TlsCredentials loaded = TlsCredentials.load(dir);
    assertEquals(renewed.certificate(), loaded.certificate());
    assertEquals(renewed.key(), loaded.key());
    assertFalse(Files.exists(staging));
  }

  @Test
  void aCrashWhileStagingKeepsTheOldPair() throws Exception {
    TlsCredentials old = credentials();
    old.store(dir, RANDOM);
    // Only the new key was staged: its certificate never made it.
    PrivateFiles.writeSecret(dir.resolve("renewing").resolve(TlsCredentials.KEY_FILE),
        Pem.privateKey(credentials().key(), Optional.empty(), RANDOM));
    TlsCredentials loaded = TlsCredentials.load(dir);
    assertEquals(old.certificate(), loaded.certificate());
    assertEquals(old.key(), loaded.key());
    assertFalse(Files.exists(dir.resolve("renewing")));
  }

  private static TlsCredentials credentials() {
    KeyPair kp = EcKeys.generateP256(RANDOM);
    var cert = CA.issue(IssueRequest.client("node-1", CertificateRole.AGENT, kp.getPublic(),
        Optional.of(IDENTITY.publicKey()), Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600)), RANDOM);
    return new TlsCredentials(kp.getPrivate(), cert, CA.certificate());
  }
}
