package io.fedlora.deploy.cli;

import io.fedlora.coordinator.CoordinatorConfig;

import io.fedlora.client.tls.CoordinatorChannels;
import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.TlsCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options shared by commands that call a coordinator as an operator: its address and the
 * operator's TLS credentials (mutual TLS; the certificate's role decides what the calls may do).
 */
public final class CoordinatorAddress {

    static final String CREDENTIALS_ENV = "FEDLORA_CREDENTIALS";

    @Option(names = "--coordinator", paramLabel = "HOST:PORT",
            defaultValue = CoordinatorConfig.DEFAULT_HOST + ":" + CoordinatorConfig.DEFAULT_PORT,
            description = "Coordinator address (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--credentials", paramLabel = "DIR",
            description = "Operator TLS credentials: a directory holding client.crt, client.key (mode 0600) and ca.crt."
                    + " A coordinator writes its local admin's to DATA_DIR/pki/admin at first start; 'fedlora enroll'"
                    + " writes a viewer's, operator's or admin's. Default: $" + CREDENTIALS_ENV + ".")
    Path credentials;

    @Option(names = "--insecure-transport",
            description = "DEVELOPMENT ONLY: plaintext, to a coordinator started with --insecure-transport.")
    boolean insecureTransport;

    /** A mutual-TLS channel to {@code target} with the credentials in {@code dir}. */
    public static ManagedChannel open(String target, Path dir) throws IOException {
        try {
            return CoordinatorChannels.mutualTls(target, TlsCredentials.load(dir));
        } catch (InvalidCertificateException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
    }

    ManagedChannel open() throws IOException {
        if (insecureTransport) {
            return CoordinatorChannels.plaintext(target);
        }
        Path dir = credentials;
        if (dir == null && System.getenv(CREDENTIALS_ENV) != null) {
            dir = Path.of(System.getenv(CREDENTIALS_ENV));
        }
        if (dir == null) {
            throw new IllegalArgumentException("no TLS credentials: pass --credentials DIR (for a coordinator on this"
                    + " machine: DATA_DIR/pki/admin) or set " + CREDENTIALS_ENV);
        }
        return open(target, dir);
    }

    public static void closeQuietly(ManagedChannel channel) {
        CoordinatorChannels.close(channel);
    }

    static void close(ManagedChannel channel) {
        CoordinatorChannels.close(channel);
    }
}
