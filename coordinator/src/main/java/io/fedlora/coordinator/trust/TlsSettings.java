package io.fedlora.coordinator.trust;

import io.fedlora.crypto.SecretBytes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How the coordinator secures its port: mutual TLS 1.3 with certificates from its own CA.
 *
 * @param caCertificateFile an operator-supplied CA certificate (PEM); empty = the coordinator's
 *     own CA, created on first start in {@code <data-dir>/pki}
 * @param caKeyFile the supplied CA's private key (PEM); present exactly when the certificate is
 * @param caKeyPassword encrypts a generated CA key at rest, or decrypts a supplied one; empty = the
 *     key is protected by its file mode (0600) alone
 * @param serverNames extra DNS names or IP addresses for the server certificate, beyond
 *     localhost, 127.0.0.1 and the bind host
 * @param clientCertificateValidity how long certificates issued at enrollment are valid
 */
public record TlsSettings(Optional<Path> caCertificateFile, Optional<Path> caKeyFile,
        Optional<SecretBytes> caKeyPassword, List<String> serverNames, Duration clientCertificateValidity) {

    public static final Duration DEFAULT_CLIENT_VALIDITY = Duration.ofDays(365);
    private static final Duration MAX_CLIENT_VALIDITY = Duration.ofDays(3650);

    public TlsSettings {
        serverNames = List.copyOf(serverNames);
        List<String> p = new ArrayList<>();
        if (caCertificateFile.isPresent() != caKeyFile.isPresent()) {
            p.add("caCertificateFile and caKeyFile: give both (an operator-supplied CA) or neither");
        }
        if (clientCertificateValidity == null || clientCertificateValidity.isNegative()
                || clientCertificateValidity.isZero() || clientCertificateValidity.compareTo(MAX_CLIENT_VALIDITY) > 0) {
            p.add("clientCertificateValidity: must be between 1 s and 3650 days, got " + clientCertificateValidity);
        }
        for (String n : serverNames) {
            if (!n.matches("[A-Za-z0-9.:-]{1,253}")) {
                p.add("serverNames: '" + n + "' is not a host name or IP address");
            }
        }
        if (!p.isEmpty()) {
            throw new IllegalArgumentException("invalid TLS settings: " + String.join("; ", p));
        }
    }

    /** The coordinator's own CA in its data dir, key protected by file mode only. */
    public static TlsSettings generatedCa() {
        return new TlsSettings(Optional.empty(), Optional.empty(), Optional.empty(), List.of(), DEFAULT_CLIENT_VALIDITY);
    }

    public TlsSettings withSuppliedCa(Path certificate, Path key) {
        return new TlsSettings(Optional.of(certificate), Optional.of(key), caKeyPassword, serverNames,
                clientCertificateValidity);
    }

    public TlsSettings withCaKeyPassword(SecretBytes password) {
        return new TlsSettings(caCertificateFile, caKeyFile, Optional.of(password), serverNames,
                clientCertificateValidity);
    }

    public TlsSettings withServerNames(List<String> names) {
        return new TlsSettings(caCertificateFile, caKeyFile, caKeyPassword, names, clientCertificateValidity);
    }

    public TlsSettings withClientCertificateValidity(Duration validity) {
        return new TlsSettings(caCertificateFile, caKeyFile, caKeyPassword, serverNames, validity);
    }
}
