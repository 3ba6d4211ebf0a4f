package io.fedlora.coordinator.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.Store;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.pki.CertificateAuthority;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.Pem;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.PrivateFiles;
import io.fedlora.crypto.pki.TlsCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorPkiTest {

    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();
    private final InstantSource clock = InstantSource.system();

    @Test
    void aGeneratedCaIsKeptOwnerOnlyAndReusedAtTheNextStart() throws Exception {
        CoordinatorPki first = CoordinatorPki.open(dir, TlsSettings.generatedCa(), clock, random);
        Path key = dir.resolve("pki/ca.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("pki"))));
        assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----"));
        CoordinatorPki second = CoordinatorPki.open(dir, TlsSettings.generatedCa(), clock, random);
        assertEquals(first.caCertificate(), second.caCertificate());
        assertEquals(first.caSha256(), second.caSha256());

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> CoordinatorPki.open(dir, TlsSettings.generatedCa(), clock,
                random));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void aPasswordEncryptsTheCaKeyAtRestAndIsNeededToStart() throws Exception {
        TlsSettings withPassword = TlsSettings.generatedCa().withCaKeyPassword(SecretBytes.copyOf(
                "s3cret pass".getBytes(StandardCharsets.UTF_8)));
        CoordinatorPki pki = CoordinatorPki.open(dir, withPassword, clock, random);
        String pem = Files.readString(dir.resolve("pki/ca.key"));
        assertTrue(pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assertEquals(pki.caCertificate(), CoordinatorPki.open(dir, withPassword, clock, random).caCertificate());
        IOException none = assertThrows(IOException.class, () -> CoordinatorPki.open(dir, TlsSettings.generatedCa(),
                clock, random));
        assertTrue(none.getMessage().contains("no password"), none.getMessage());
        assertThrows(IOException.class, () -> CoordinatorPki.open(dir, TlsSettings.generatedCa().withCaKeyPassword(
                SecretBytes.copyOf("wrong".getBytes(StandardCharsets.UTF_8))), clock, random));
    }

    @Test
    void anOperatorSuppliedCaIssuesTheServerAndClientCertificates() throws Exception {
        CertificateAuthority own = CertificateAuthority.generate("hospital consortium CA", Instant.now(),
                Duration.ofDays(365), random);
        Path cert = dir.resolve("supplied/ca.pem");
        Path key = dir.resolve("supplied/ca-key.pem");
        PrivateFiles.writePublic(cert, Pem.certificate(own.certificate()));
        PrivateFiles.writeSecret(key, Pem.privateKey(own.privateKey(), Optional.empty(), random));
        CoordinatorPki pki = CoordinatorPki.open(dir.resolve("data"), TlsSettings.generatedCa().withSuppliedCa(cert, key),
                clock, random);
        assertEquals(own.certificate(), pki.caCertificate());
        assertFalse(Files.exists(dir.resolve("data/pki/ca.key")), "a supplied CA's key is not copied");
        assertEquals(own.certificate(), TlsCredentials.readCertificate(pki.caCertificateFile()));

        var server = pki.issueServerCertificate("10.1.2.3", List.of("coordinator.example.org"));
        server.certificate().verify(own.certificate().getPublicKey());
        var names = server.certificate().getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList();
        assertTrue(names.containsAll(List.of("localhost", "127.0.0.1", "10.1.2.3", "coordinator.example.org")), names.toString());
        assertFalse(server.toString().contains("BEGIN"));
    }

    @Test
    void localAdminCredentialsAreWrittenOnceAndRenewedWhenTheCaChanges() throws Exception {
        try (Store store = DatabaseSettings.embedded(dir).open()) {
            CoordinatorPki pki = CoordinatorPki.open(dir, TlsSettings.generatedCa(), clock, random);
            Path admin = pki.ensureLocalAdminCredentials(store);
            TlsCredentials creds = TlsCredentials.load(admin);
            assertEquals(CertificateRole.ADMIN, PeerIdentity.of(creds.certificate()).role());
            assertEquals(CoordinatorPki.LOCAL_ADMIN, PeerIdentity.of(creds.certificate()).subjectId());
            pki.ensureLocalAdminCredentials(store);
            assertEquals(creds.certificate(), TlsCredentials.load(admin).certificate(), "kept while valid");
            assertEquals(1, store.certificates().size());

            // A new CA (the old one deleted): the admin certificate is re-issued from it.
            Files.delete(dir.resolve("pki/ca.key"));
            CoordinatorPki fresh = CoordinatorPki.open(dir, TlsSettings.generatedCa(), clock, random);
            fresh.ensureLocalAdminCredentials(store);
            TlsCredentials renewed = TlsCredentials.load(admin);
            assertNotEquals(creds.certificate(), renewed.certificate());
            assertEquals(fresh.caCertificate(), renewed.caCertificate());
        }
    }
}
