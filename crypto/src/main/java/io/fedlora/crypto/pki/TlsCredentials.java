package io.fedlora.crypto.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client's credentials: its private key, its certificate and the CA certificate it trusts
 * the coordinator by. On disk, one directory: {@code client.key} (PKCS#8, 0600), {@code client.crt},
 * {@code ca.crt}. An agent keeps them in {@code <state-dir>/tls}; a coordinator writes its local
 * admin's to {@code <data-dir>/pki/admin}.
 */
public record TlsCredentials(PrivateKey key, X509Certificate certificate, X509Certificate caCertificate) {

  public static final String KEY_FILE = "client.key";
  public static final String CERT_FILE = "client.crt";
  public static final String CA_FILE = "ca.crt";
  /** Where {@link #replace} stages a renewed key and certificate. */
  private static final String STAGING_DIR = "renewing";

  public TlsCredentials {
    if (key == null || certificate == null || caCertificate == null) {
      throw new IllegalArgumentException("key, certificate and caCertificate are required");
    }
  }

  /** Whether {@code dir} holds a complete set. */
  public static boolean existIn(Path dir) {
    return Files.isRegularFile(dir.resolve(KEY_FILE)) && Files.isRegularFile(dir.resolve(CERT_FILE))
        && Files.isRegularFile(dir.resolve(CA_FILE));
  }

  public static TlsCredentials load(Path dir) throws IOException, InvalidCertificateException {
    finishReplacement(dir);
    if (!existIn(dir)) {
      throw new IOException(dir + ": no TLS credentials here (" + KEY_FILE + ", " + CERT_FILE + ", " + CA_FILE + ")");
    }
    if (PrivateFiles.isExposed(dir.resolve(KEY_FILE))) {
      throw new IOException(dir.resolve(KEY_FILE) + ": a private key must be readable by its owner only (chmod 600)");
    }
    PrivateKey key = Pem.parsePrivateKey(read(dir.resolve(KEY_FILE)), Optional.empty());
    return new TlsCredentials(key, Pem.parseCertificate(read(dir.resolve(CERT_FILE))),
        Pem.parseCertificate(read(dir.resolve(CA_FILE))));
  }

  /** Writes the three files; the key owner-only. */
  public void store(Path dir, SecureRandom random) throws IOException {
    PrivateFiles.createDirectory(dir);
    PrivateFiles.writeSecret(dir.resolve(KEY_FILE), Pem.privateKey(key, Optional.empty(), random));
    PrivateFiles.writePublic(dir.resolve(CERT_FILE), Pem.certificate(certificate));
    PrivateFiles.writePublic(dir.resolve(CA_FILE), Pem.certificate(caCertificate));
  }

  /**
   * Replaces the key and certificate in {@code dir} with these (a renewal; the CA file stays). Both
   * are first written, each atomically and owner-only, to {@code dir/renewing/}, then moved into
   * place; a crash in between is finished by the next {@link #load}, so the directory never holds a
   * key with another key's certificate.
   */
  public void replace(Path dir, SecureRandom random) throws IOException {
    Path staging = dir.resolve(STAGING_DIR);
    deleteStaging(staging);
    PrivateFiles.createDirectory(staging);
    // The certificate goes last: its presence marks a complete staged pair.
    PrivateFiles.writeSecret(staging.resolve(KEY_FILE), Pem.privateKey(key, Optional.empty(), random));
    PrivateFiles.writePublic(staging.resolve(CERT_FILE), Pem.certificate(certificate));
    finishReplacement(dir);
  }

  /** Moves a completely staged pair into place; discards a partly staged one (the old pair is intact). */
  private static void finishReplacement(Path dir) throws IOException {
    Path staging = dir.resolve(STAGING_DIR);
    if (!Files.isDirectory(staging)) {
      return;
    }
    if (Files.isRegularFile(staging.resolve(CERT_FILE))) {
      if (Files.exists(staging.resolve(KEY_FILE))) {
        Files.move(staging.resolve(KEY_FILE), dir.resolve(KEY_FILE), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      }
      Files.move(staging.resolve(CERT_FILE), dir.resolve(CERT_FILE), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
    deleteStaging(staging);
  }

  private static void deleteStaging(Path staging) throws IOException {
    if (Files.isDirectory(staging)) {
      try (var files = Files.list(staging)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(staging);
    }
  }

  /** Presents {@link #certificate()} (with the CA certificate as its chain) in the handshake. */
  public KeyManager[] keyManagers() {
    try {
      char[] none = new char[0];
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", key, none, new Certificate[] {certificate, caCertificate});
      KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      f.init(ks, none);
      return f.getKeyManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a key manager", e);
    }
  }

  /** Trusts servers whose certificate chains to {@link #caCertificate()} and nothing else. */
  public TrustManager[] trustManagers() {
    return trustOnly(caCertificate);
  }

  public static TrustManager[] trustOnly(X509Certificate ca) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("ca", ca);
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(ks);
      return f.getTrustManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust manager", e);
    }
  }

  public static X509Certificate readCertificate(Path file) throws IOException, InvalidCertificateException {
    return Pem.parseCertificate(read(file));
  }

  private static String read(Path f) throws IOException {
    return Files.readString(f, StandardCharsets.US_ASCII);
  }

  @Override
  public String toString() {
    return "TlsCredentials[" + certificate.getSubjectX500Principal().getName() + ", key redacted]";
  }
}
