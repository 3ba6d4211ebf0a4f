package io.fedlora.client.agent;

import io.fedlora.adapter.AtomicFiles;
import io.fedlora.client.tls.CoordinatorChannels;
import io.fedlora.client.tls.Enroller;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.TlsCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's TLS credentials in {@code <state-dir>/tls}: loaded when present, otherwise obtained by
 * enrolling with the configured one-time token at each coordinator address in turn, until one answers
 * (retrying while none is reachable). The certificate must name this node's identity key, and its
 * node id becomes the node's id.
 */
final class AgentCredentials {

    private static final Logger log = LoggerFactory.getLogger(AgentCredentials.class);
    static final String DIR = "tls";

    private AgentCredentials() {}

    static TlsCredentials ensure(AgentConfig config, SecureRandom random) throws IOException {
        Files.createDirectories(config.stateDir());
        Ed25519PrivateKey identity = IdentityKey.loadOrCreate(config.stateDir(), random);
        Path dir = config.stateDir().resolve(DIR);
        try {
            TlsCredentials creds = TlsCredentials.existIn(dir) ? TlsCredentials.load(dir)
                    : enroll(config, identity, dir, random);
            PeerIdentity id = PeerIdentity.of(creds.certificate());
            if (id.role() != CertificateRole.AGENT || !id.identityKey().equals(Optional.of(identity.publicKey()))) {
                throw new IOException(dir + ": the certificate there is not this node's (role " + id.role().label()
                        + ", or another identity key)");
            }
            writeNodeId(config.stateDir(), id.subjectId());
            return creds;
        } catch (InvalidCertificateException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
    }

    private static TlsCredentials enroll(AgentConfig config, Ed25519PrivateKey identity, Path dir, SecureRandom random)
            throws IOException, InvalidCertificateException {
        if (config.enrollmentToken().isEmpty() || config.caCertificateFile().isEmpty()) {
            throw new IOException("this node is not enrolled yet (" + dir + " holds no certificate): start it with an"
                    + " enrollment token (fedlora admin enroll-token) and the coordinator's CA certificate");
        }
        X509Certificate ca = TlsCredentials.readCertificate(config.caCertificateFile().get());
        long deadline = System.nanoTime() + config.callTimeout().toNanos();
        Duration wait = config.initialBackoff();
        List<String> targets = config.coordinatorTargets();
        List<ManagedChannel> channels = CoordinatorLinks.openAll(targets,
                t -> CoordinatorChannels.serverAuthenticated(t, ca));
        int next = 0;
        int unreachableInCycle = 0;
        try {
            while (true) {
                String target = targets.get(next);
                try {
                    Enroller.Enrolled e = Enroller.enroll(channels.get(next), config.enrollmentToken().get(),
                            config.nodeName(), ca, Optional.of(identity), config.callTimeout(), random);
                    e.credentials().store(dir, random);
                    log.info("enrolled with coordinator {} as node {}; credentials in {}", target, e.subjectId(), dir);
                    return e.credentials();
                } catch (StatusRuntimeException e) {
                    Status.Code code = e.getStatus().getCode();
                    if ((code != Status.Code.UNAVAILABLE && code != Status.Code.RESOURCE_EXHAUSTED)
                            || System.nanoTime() > deadline) {
                        throw new IOException("enrollment refused by " + target + ": "
                                + code + " " + e.getStatus().getDescription(), e);
                    }
                    if (code == Status.Code.UNAVAILABLE) {
                        // A standby refuses connections: try the next address at once, wait only after all failed.
                        next = (next + 1) % targets.size();
                        if (++unreachableInCycle < targets.size()) {
                            continue;
                        }
                    }
                    unreachableInCycle = 0;
                    // Told to slow down (many nodes enrolling from one address): wait at least as long as asked.
                    Duration pause = max(wait, pushback(e));
                    log.info("coordinator unreachable or busy for enrollment ({}); retrying in {} ms",
                            e.getStatus().getDescription(), pause.toMillis());
                    Thread.sleep(pause.toMillis());
                    wait = wait.multipliedBy(2).compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : wait.multipliedBy(2);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while enrolling", e);
        } finally {
            channels.forEach(CoordinatorChannels::close);
        }
    }

    private static final Metadata.Key<String> RETRY_PUSHBACK_MS = Metadata.Key.of("grpc-retry-pushback-ms",
            Metadata.ASCII_STRING_MARSHALLER);

    /** The coordinator's retry hint ({@code grpc-retry-pushback-ms}), zero when it gave none. */
    private static Duration pushback(StatusRuntimeException e) {
        String ms = e.getTrailers() == null ? null : e.getTrailers().get(RETRY_PUSHBACK_MS);
        try {
            return ms == null ? Duration.ZERO : Duration.ofMillis(Math.max(0, Math.min(60_000, Long.parseLong(ms))));
        } catch (NumberFormatException bad) {
            return Duration.ZERO;
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The certificate's node id is the node's id; the node-id file follows it. */
    private static void writeNodeId(Path stateDir, String nodeId) throws IOException {
        Path f = stateDir.resolve("node-id");
        if (!Files.exists(f) || !Files.readString(f, StandardCharsets.UTF_8).trim().equals(nodeId)) {
            AtomicFiles.writeString(f, nodeId);
        }
    }
}
