package io.fedlora.coordinator.web;

import io.fedlora.coordinator.trust.CoordinatorPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** The dashboard's TLS key and certificate chain, as PEM text for Vert.x. The key never reaches a log. */
record PemCredentials(String certificateChain, String privateKey) {

    @Override
    public String toString() {
        return "PemCredentials[key redacted]";
    }

    /** A certificate from the coordinator's CA, chained to it. */
    static PemCredentials issued(CoordinatorPki.ServerCertificate server, X509Certificate ca) {
        try {
            return new PemCredentials(pem("CERTIFICATE", server.certificate().getEncoded())
                    + pem("CERTIFICATE", ca.getEncoded()), pem("PRIVATE KEY", server.key().getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The operator's own files. */
    static PemCredentials files(Path certificate, Path key) throws IOException {
        return new PemCredentials(Files.readString(certificate), Files.readString(key));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
