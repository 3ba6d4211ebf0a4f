package io.fedlora.client.tls;

import io.fedlora.crypto.pki.TlsCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/**
 * Channels to a coordinator. Mutual TLS is the normal case; server-authenticated TLS without a client
 * certificate reaches only Enroll; plaintext talks only to a coordinator run with
 * {@code --insecure-transport}. The coordinator's certificate is checked against the given CA and
 * the target's host name (its certificate names localhost, 127.0.0.1 and its bind host).
 */
public final class CoordinatorChannels {

    /** One 1 MiB chunk plus framing and headroom, as the coordinator accepts. */
    public static final int MAX_INBOUND_MESSAGE_BYTES = (1 << 20) + (64 << 10);

    private CoordinatorChannels() {}

    public static ManagedChannel mutualTls(String target, TlsCredentials credentials) {
        return open(target, mutualTlsCredentials(credentials));
    }

    /** The channel credentials {@link #mutualTls} uses, for callers that open many channels with them. */
    public static ChannelCredentials mutualTlsCredentials(TlsCredentials credentials) {
        return TlsChannelCredentials.newBuilder()
                .keyManager(credentials.keyManagers())
                .trustManager(credentials.trustManagers())
                .build();
    }

    /** For enrolling: the coordinator is authenticated, the client not yet. */
    public static ManagedChannel serverAuthenticated(String target, X509Certificate ca) {
        return open(target, TlsChannelCredentials.newBuilder().trustManager(TlsCredentials.trustOnly(ca)).build());
    }

    /** Development only ({@code --insecure-transport} on both sides). */
    public static ManagedChannel plaintext(String target) {
        return open(target, InsecureChannelCredentials.create());
    }

    public static ManagedChannel open(String target, ChannelCredentials credentials) {
        if (!target.matches("[^:\\s]+:\\d{1,5}")) {
            throw new IllegalArgumentException("coordinator address must be HOST:PORT, got '" + target + "'");
        }
        return Grpc.newChannelBuilder(target, credentials).maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES).build();
    }

    /** Shuts {@code channel} down, waiting up to 5 s for calls in flight. */
    public static void close(ManagedChannel channel) {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.shutdownNow();
        }
    }
}
