package io.fedlora.deploy.doctor;

import io.fedlora.crypto.pki.TlsCredentials;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * A TLS 1.3 handshake with the coordinator as the node makes it: the node's certificate offered, the
 * server's certificate checked against the node's CA and the address's host name.
 */
final class TlsHandshakeCheck extends CredentialedCheck {

    private final Duration timeout;

    TlsHandshakeCheck(CoordinatorEndpoint endpoint, Duration timeout) {
        super(endpoint);
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "tls";
    }

    @Override
    CheckResult check(TlsCredentials creds) {
        try {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(creds.keyManagers(), creds.trustManagers(), null);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()),
                        Math.toIntExact(timeout.toMillis()));
                socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
                SSLParameters params = socket.getSSLParameters();
                params.setProtocols(new String[] {"TLSv1.3"});
                params.setApplicationProtocols(new String[] {"h2"}); // gRPC's; the server insists on it
                params.setEndpointIdentificationAlgorithm("HTTPS");
                if (!Character.isDigit(endpoint.host().charAt(0)) && !endpoint.host().contains(":")) {
                    params.setServerNames(java.util.List.of(new SNIHostName(endpoint.host())));
                }
                socket.setSSLParameters(params);
                socket.startHandshake();
                SSLSession session = socket.getSession();
                X509Certificate server = (X509Certificate) session.getPeerCertificates()[0];
                return CheckResult.ok(name(), session.getProtocol() + " " + session.getCipherSuite()
                        + ", server certificate " + server.getSubjectX500Principal().getName() + " trusted by "
                        + endpoint.credentialsDir().resolve(TlsCredentials.CA_FILE) + " and valid for "
                        + endpoint.host());
            }
        } catch (IOException | GeneralSecurityException e) {
            return CheckResult.fail(name(), endpoint.target() + ": handshake failed: " + e.getMessage());
        }
    }
}
