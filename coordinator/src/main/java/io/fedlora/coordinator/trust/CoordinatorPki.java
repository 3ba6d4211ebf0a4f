package io.fedlora.coordinator.trust;

import io.fedlora.coordinator.store.CertificateRecord;
import io.fedlora.coordinator.store.TrustRecordStore;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.pki.CertificateAuthority;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.EcKeys;
import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.IssueRequest;
import io.fedlora.crypto.pki.Pem;
import io.fedlora.crypto.pki.PrivateFiles;
import io.fedlora.crypto.pki.TlsCredentials;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's certificate authority and the certificates it makes for itself. Files under
 * {@code <data-dir>/pki}: {@code ca.crt}, {@code ca.key} (generated CA only; 0600, PBES2-encrypted
 * when a password is set) and {@code admin/} (the local admin's client credentials, see
 * {@link TlsCredentials}). The server certificate is issued afresh at every start and kept in
 * memory only.
 */
public final class CoordinatorPki {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorPki.class);

    public static final String DIR = "pki";
    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String ADMIN_DIR = "admin";
    /** The subject id of the local admin certificate. */
    public static final String LOCAL_ADMIN = "local-admin";

    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration SERVER_VALIDITY = Duration.ofDays(365);
    private static final Duration ADMIN_VALIDITY = Duration.ofDays(365);
    /** The local admin certificate is renewed at start once it has less than this left. */
    private static final Duration ADMIN_RENEWAL = Duration.ofDays(30);
    /** Certificates are valid from a little before now, so a peer whose clock lags still accepts them. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);

    private final Path dir;
    private final CertificateAuthority ca;
    private final InstantSource clock;
    private final SecureRandom random;

    /** The coordinator's server key and certificate (chain: certificate, CA). */
    public record ServerCertificate(PrivateKey key, X509Certificate certificate) {
        @Override
        public String toString() {
            return "ServerCertificate[" + certificate.getSubjectX500Principal().getName() + ", key redacted]";
        }
    }

    private CoordinatorPki(Path dir, CertificateAuthority ca, InstantSource clock, SecureRandom random) {
        this.dir = dir;
        this.ca = ca;
        this.clock = clock;
        this.random = random;
    }

    /** Loads the CA named by {@code tls}, creating the coordinator's own on first start. */
    public static CoordinatorPki open(Path dataDir, TlsSettings tls, InstantSource clock, SecureRandom random)
            throws IOException {
        Path dir = dataDir.resolve(DIR);
        PrivateFiles.createDirectory(dir);
        CertificateAuthority ca;
        try {
            if (tls.caCertificateFile().isPresent()) {
                ca = load(tls.caCertificateFile().get(), tls.caKeyFile().orElseThrow(), tls.caKeyPassword());
                log.info("using the CA supplied in {}", tls.caCertificateFile().get());
            } else if (Files.exists(dir.resolve(CA_KEY))) {
                ca = load(dir.resolve(CA_CERT), dir.resolve(CA_KEY), tls.caKeyPassword());
            } else {
                ca = CertificateAuthority.generate("fedlora coordinator CA", clock.instant(), CA_VALIDITY, random);
                writeWithPassword(dir.resolve(CA_KEY), ca.privateKey(), tls.caKeyPassword(), random);
                log.info("created a certificate authority in {} (key {})", dir,
                        tls.caKeyPassword().isPresent() ? "encrypted with the CA key password" : "mode 0600");
            }
        } catch (InvalidCertificateException e) {
            throw new IOException("cannot use the CA: " + e.getMessage(), e);
        }
        // Always published next to the data: agents and operators trust the coordinator by it.
        PrivateFiles.writePublic(dir.resolve(CA_CERT), Pem.certificate(ca.certificate()));
        return new CoordinatorPki(dir, ca, clock, random);
    }

    private static CertificateAuthority load(Path certFile, Path keyFile, Optional<SecretBytes> password)
            throws IOException, InvalidCertificateException {
        if (PrivateFiles.isExposed(keyFile)) {
            throw new IOException(keyFile + ": the CA key must be readable by its owner only (chmod 600)");
        }
        X509Certificate cert = TlsCredentials.readCertificate(certFile);
        char[] pw = password.map(CoordinatorPki::chars).orElse(null);
        try {
            PrivateKey key = Pem.parsePrivateKey(Files.readString(keyFile, StandardCharsets.US_ASCII),
                    Optional.ofNullable(pw));
            return CertificateAuthority.of(cert, key);
        } finally {
            if (pw != null) {
                Arrays.fill(pw, '\0');
            }
        }
    }

    private static void writeWithPassword(Path file, PrivateKey key, Optional<SecretBytes> password,
            SecureRandom random) throws IOException {
        char[] pw = password.map(CoordinatorPki::chars).orElse(null);
        try {
            PrivateFiles.writeSecret(file, Pem.privateKey(key, Optional.ofNullable(pw), random));
        } finally {
            if (pw != null) {
                Arrays.fill(pw, '\0');
            }
        }
    }

    private static char[] chars(SecretBytes password) {
        byte[] b = password.toByteArray();
        try {
            CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(b));
            char[] c = new char[cb.remaining()];
            cb.get(c);
            Arrays.fill(cb.array(), '\0');
            return c;
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    public X509Certificate caCertificate() {
        return ca.certificate();
    }

    public Path caCertificateFile() {
        return dir.resolve(CA_CERT);
    }

    public Path adminCredentialsDir() {
        return dir.resolve(ADMIN_DIR);
    }

    /** Hex sha256 of the CA certificate's DER: what an operator compares {@code ca.crt} against. */
    public String caSha256() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ca.certificate().getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A fresh server key and certificate naming localhost, 127.0.0.1, ::1, {@code bindHost} (unless a
     * wildcard) and {@code extraNames}.
     */
    public ServerCertificate issueServerCertificate(String bindHost, List<String> extraNames) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        if (!bindHost.equals("0.0.0.0") && !bindHost.equals("::") && !bindHost.isBlank()) {
            names.add(bindHost);
        }
        names.addAll(extraNames);
        KeyPair kp = EcKeys.generateP256(random);
        Instant now = clock.instant();
        X509Certificate cert = ca.issue(IssueRequest.server(List.copyOf(names), kp.getPublic(), now.minus(BACKDATE),
                now.plus(SERVER_VALIDITY)), random);
        return new ServerCertificate(kp.getPrivate(), cert);
    }

    /** Issues a client certificate (enrollment) valid from now for {@code validity}. */
    public X509Certificate issueClient(String subjectId, CertificateRole role, PublicKey key,
            Optional<io.fedlora.crypto.Ed25519PublicKey> identityKey, Duration validity) {
        Instant now = clock.instant();
        return ca.issue(IssueRequest.client(subjectId, role, key, identityKey, now.minus(BACKDATE), now.plus(validity)),
                random);
    }

    /**
     * Makes sure {@code <data-dir>/pki/admin} holds a valid admin certificate from this CA, issuing one
     * (and recording it) when it is missing, from another CA, or close to expiry. Returns the directory.
     */
    public Path ensureLocalAdminCredentials(TrustRecordStore store) throws IOException {
        Path adminDir = adminCredentialsDir();
        if (TlsCredentials.existIn(adminDir)) {
            try {
                TlsCredentials existing = TlsCredentials.load(adminDir);
                boolean sameCa = existing.caCertificate().equals(ca.certificate());
                boolean fresh = existing.certificate().getNotAfter().toInstant()
                        .isAfter(clock.instant().plus(ADMIN_RENEWAL));
                if (sameCa && fresh) {
                    return adminDir;
                }
            } catch (InvalidCertificateException | IOException e) {
                log.warn("local admin credentials in {} are unusable ({}); issuing new ones", adminDir, e.getMessage());
            }
        }
        KeyPair kp = EcKeys.generateP256(random);
        X509Certificate cert = issueClient(LOCAL_ADMIN, CertificateRole.ADMIN, kp.getPublic(), Optional.empty(),
                ADMIN_VALIDITY);
        new TlsCredentials(kp.getPrivate(), cert, ca.certificate()).store(adminDir, random);
        store.insertCertificate(record(cert, LOCAL_ADMIN, LOCAL_ADMIN, CertificateRole.ADMIN, ""));
        log.info("wrote local admin credentials to {} (used by 'fedlora admin --credentials')", adminDir);
        return adminDir;
    }

    /** The register entry for an issued certificate. */
    public static CertificateRecord record(X509Certificate cert, String subjectId, String name, CertificateRole role,
            String identityKeyHex) {
        return new CertificateRecord(cert.getSerialNumber().toString(16), subjectId, name, role, identityKeyHex,
                cert.getNotBefore().getTime(), cert.getNotAfter().getTime());
    }
}
