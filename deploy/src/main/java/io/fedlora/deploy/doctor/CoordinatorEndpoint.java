package io.fedlora.deploy.doctor;

import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.TlsCredentials;
import java.io.IOException;
import java.nio.file.Path;

/** The coordinator a node talks to, and the node's own TLS credentials for it (client.crt, client.key, ca.crt). */
record CoordinatorEndpoint(String host, int port, Path credentialsDir) {

    /** {@code HOST:PORT}; a bracketed IPv6 literal is allowed. */
    static CoordinatorEndpoint parse(String target, Path credentialsDir) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0 || colon == target.length() - 1) {
            throw new IllegalArgumentException("--coordinator: HOST:PORT, got '" + target + "'");
        }
        String host = target.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--coordinator: the port of '" + target + "' is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--coordinator: port " + port + " is out of range");
        }
        return new CoordinatorEndpoint(host, port, credentialsDir);
    }

    String target() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }

    TlsCredentials credentials() throws IOException {
        if (!TlsCredentials.existIn(credentialsDir)) {
            throw new IOException(credentialsDir + ": no client.crt/client.key/ca.crt (not enrolled yet?)");
        }
        try {
            return TlsCredentials.load(credentialsDir);
        } catch (InvalidCertificateException e) {
            throw new IOException(credentialsDir + ": " + e.getMessage(), e);
        }
    }
}
