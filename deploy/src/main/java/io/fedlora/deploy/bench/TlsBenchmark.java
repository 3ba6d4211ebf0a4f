package io.fedlora.deploy.bench;

import io.fedlora.client.tls.CoordinatorChannels;
import io.fedlora.coordinator.trust.CoordinatorPki;
import io.fedlora.coordinator.trust.ServerTls;
import io.fedlora.coordinator.trust.TlsSettings;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.InvalidSignatureException;

import io.fedlora.crypto.X25519KeyPair;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.EcKeys;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.ListJobsRequest;
import io.fedlora.proto.v1.ListJobsResponse;
import io.fedlora.rounds.SecureRoundSetup;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil;
import io.grpc.stub.StreamObserver;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * What trust costs on this machine, each figure next to a baseline measured in the same run:
 * <ul>
 *   <li>a new agent connection over mutual TLS 1.3 on loopback (the coordinator's own server TLS
 *   context and the agent's channel code; full handshake, one unary call) against the same over
 *   plaintext gRPC;</li>
 *   <li>full mutual-TLS 1.3 handshakes alone (the same server context and an agent certificate, both
 *   engines in this thread, no sockets), against the same plaintext connection;</li>
 *   <li>a SecAgg+ round's Ed25519 work for N clients (each signs its key advertisement once and
 *   verifies its k neighbours') against the round's X25519 agreements (2k per client).</li>
 * </ul>
 */
public final class TlsBenchmark {

    public record Config(int connections, int warmup, int cohort, double dropout, double corrupt, int repeats) {
        public Config {
            if (connections < 10 || warmup < 0 || cohort < 3 || repeats < 1) {
                throw new IllegalArgumentException("connections >= 10, warmup >= 0, cohort >= 3, repeats >= 1");
            }
        }
    }

    public record Result(double tlsPerSecond, double plaintextPerSecond, double handshakesPerSecond, int connections,
            long fullHandshakes, String protocol, String cipherSuite, String provider, int cohort, int neighbours,
            double ed25519RoundMs, double x25519RoundMs, double signUs, double verifyUs, int repeats) {

        public String toJson() {
            return String.format(Locale.ROOT, "{\"bench\":\"tls\",\"connections\":%d,\"handshakes\":%d,\"full_handshakes_verified\":%d,"
                    + "\"protocol\":\"%s\",\"cipher_suite\":\"%s\",\"server_tls_provider\":\"%s\","
                    + "\"mtls_connections_per_s\":%.1f,\"plaintext_connections_per_s\":%.1f,"
                    + "\"mtls_ms_per_connection\":%.3f,\"plaintext_ms_per_connection\":%.3f,"
                    + "\"mtls_connection_vs_plaintext_ratio\":%.2f,\"handshakes_per_s\":%.1f,\"ms_per_handshake\":%.3f,"
                    + "\"handshake_vs_plaintext_connection_ratio\":%.2f,\"cohort\":%d,\"neighbours\":%d,\"signatures\":%d,\"verifications\":%d,"
                    + "\"ed25519_round_ms\":%.2f,\"x25519_round_ms_baseline\":%.2f,\"ed25519_vs_x25519_ratio\":%.3f,"
                    + "\"sign_us\":%.2f,\"verify_us\":%.2f,\"repeats\":%d}",
                    connections, connections, fullHandshakes, protocol, cipherSuite, provider, tlsPerSecond, plaintextPerSecond,
                    1000 / tlsPerSecond, 1000 / plaintextPerSecond, plaintextPerSecond / tlsPerSecond,
                    handshakesPerSecond, 1000 / handshakesPerSecond, plaintextPerSecond / handshakesPerSecond, cohort,
                    neighbours, cohort, cohort * neighbours, ed25519RoundMs, x25519RoundMs,
                    ed25519RoundMs / x25519RoundMs, signUs, verifyUs, repeats);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "new mTLS connection %.2f ms (%.0f/s) vs plaintext %.2f ms (%.0f/s):"
                    + " %.1fx; full mTLS handshake alone %.2f ms (%.0f/s); %s %s, server %s%nSecAgg+ round, N=%d,"
                    + " k=%d: Ed25519 %.1f ms (%d signs, %d verifies) vs X25519 agreements %.1f ms: %.2fx",
                    1000 / tlsPerSecond, tlsPerSecond, 1000 / plaintextPerSecond, plaintextPerSecond,
                    plaintextPerSecond / tlsPerSecond, 1000 / handshakesPerSecond, handshakesPerSecond, protocol,
                    cipherSuite, provider, cohort, neighbours, ed25519RoundMs, cohort, cohort * neighbours,
                    x25519RoundMs, ed25519RoundMs / x25519RoundMs);
        }
    }

    private TlsBenchmark() {}

    public static Result run(Config c) throws Exception {
        SecureRandom random = new SecureRandom();
        Path dir = Files.createTempDirectory("fedlora-bench-tls");
        try {
            CoordinatorPki pki = CoordinatorPki.open(dir, TlsSettings.generatedCa(), InstantSource.system(), random);
            KeyPair agentKey = EcKeys.generateP256(random);
            Ed25519PrivateKey identity = Ed25519PrivateKey.generate(random);
            TlsCredentials agent = new TlsCredentials(agentKey.getPrivate(), pki.issueClient("bench-node",
                    CertificateRole.AGENT, agentKey.getPublic(), Optional.of(identity.publicKey()), Duration.ofHours(1)),
                    pki.caCertificate());
            AtomicInteger verified = new AtomicInteger();
            AtomicReference<SSLSession> session = new AtomicReference<>();
            Server tls = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .sslContext(ServerTls.context(pki, pki.issueServerCertificate("127.0.0.1", java.util.List.of()),
                            InstantSource.system(), subject -> {
                                verified.incrementAndGet(); // once per full handshake's certificate check
                                return false;
                            }))
                    .addService(new Trivial()).intercept(sessionRecorder(session)).build().start();
            Server plain = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                    io.grpc.InsecureServerCredentials.create()).addService(new Trivial()).build().start();
            try {
                String tlsTarget = "127.0.0.1:" + tls.getPort();
                String plainTarget = "127.0.0.1:" + plain.getPort();
                // Built once, as an agent does: each new channel still makes its own TLS context, so no resumption.
                ChannelCredentials agentTls = CoordinatorChannels.mutualTlsCredentials(agent);
                HandshakePair pair = new HandshakePair(ServerTls.context(pki, pki.issueServerCertificate("127.0.0.1",
                        java.util.List.of()), InstantSource.system(), subject -> {
                            verified.incrementAndGet();
                            return false;
                        }), agent);
                connections(c.warmup(), () -> CoordinatorChannels.open(tlsTarget, agentTls));
                connections(c.warmup(), () -> CoordinatorChannels.plaintext(plainTarget));
                pair.handshakes(c.warmup());
                double[] tlsRate = new double[c.repeats()];
                double[] plainRate = new double[c.repeats()];
                double[] handshakeRate = new double[c.repeats()];
                int before = verified.get();
                for (int i = 0; i < c.repeats(); i++) {
                    // Alternating, so machine noise falls on all alike.
                    plainRate[i] = connections(c.connections(), () -> CoordinatorChannels.plaintext(plainTarget));
                    tlsRate[i] = connections(c.connections(), () -> CoordinatorChannels.open(tlsTarget, agentTls));
                    handshakeRate[i] = pair.handshakes(c.connections());
                }
                long full = verified.get() - before;
                SSLSession s = session.get();
                double[] sig = signatureRound(c, random);
                return new Result(median(tlsRate), median(plainRate), median(handshakeRate),
                        c.connections() * c.repeats(), full,
                        s.getProtocol(), s.getCipherSuite(), serverProvider(), c.cohort(), (int) sig[4], sig[0], sig[1],
                        sig[2], sig[3], c.repeats());
            } finally {
                tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Opens {@code n} channels one after another, each making one call; returns connections per second. */
    private static double connections(int n, java.util.function.Supplier<ManagedChannel> open) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ManagedChannel ch = open.get();
            try {
                AdminServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .listJobs(ListJobsRequest.getDefaultInstance());
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * One round's signature work for the cohort (N signs, N·k verifies) and, as the baseline, its
     * X25519 agreements (N·2k), median of the repeats. Returns {ed ms, x ms, sign µs, verify µs, k}.
     */
    private static double[] signatureRound(Config c, SecureRandom random) throws Exception {
        int n = c.cohort();
        int k = SecureRoundSetup.parameters(n, c.dropout(), c.corrupt()).neighbours();
        Ed25519PrivateKey[] keys = new Ed25519PrivateKey[n];
        X25519KeyPair[] dh = new X25519KeyPair[n];
        byte[][] adverts = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = Ed25519PrivateKey.generate(random);
            dh[i] = X25519KeyPair.generate(random);
            adverts[i] = new byte[128]; // two X25519 keys, ids and round binding: about this size
            random.nextBytes(adverts[i]);
        }
        double[] ed = new double[c.repeats() + 1];
        double[] x = new double[c.repeats() + 1];
        double[] signUs = new double[c.repeats() + 1];
        double[] verifyUs = new double[c.repeats() + 1];
        for (int r = 0; r <= c.repeats(); r++) { // round 0 warms the JIT and is dropped
            long t0 = System.nanoTime();
            byte[][] sigs = new byte[n][];
            for (int i = 0; i < n; i++) {
                sigs[i] = keys[i].sign(adverts[i]).toByteArray();
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                for (int j = 1; j <= k; j++) {
                    int v = (i + j) % n;
                    verify(keys[v].publicKey(), sigs[v], adverts[v]);
                }
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                for (int j = 1; j <= k; j++) {
                    int v = (i + j) % n;
                    dh[i].privateKey().agree(dh[v].publicKey()); // share-encryption key
                    dh[i].privateKey().agree(dh[v].publicKey()); // pairwise-mask key
                }
            }
            long t3 = System.nanoTime();
            ed[r] = (t2 - t0) / 1e6;
            x[r] = (t3 - t2) / 1e6;
            signUs[r] = (t1 - t0) / 1e3 / n;
            verifyUs[r] = (t2 - t1) / 1e3 / ((double) n * k);
        }
        return new double[] {median(Arrays.copyOfRange(ed, 1, ed.length)), median(Arrays.copyOfRange(x, 1, x.length)),
            median(Arrays.copyOfRange(signUs, 1, signUs.length)),
            median(Arrays.copyOfRange(verifyUs, 1, verifyUs.length)), k};
    }

    private static void verify(Ed25519PublicKey key, byte[] sig, byte[] msg) {
        try {
            key.verify(sig, msg);
        } catch (InvalidSignatureException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String serverProvider() {
        return io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl.isAvailable()
                ? io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl.versionString() + " (netty-tcnative)" : "JDK";
    }

    private static ServerInterceptor sessionRecorder(AtomicReference<SSLSession> into) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                into.set(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                return next.startCall(call, headers);
            }
        };
    }

    /**
     * Full mutual-TLS handshakes between two in-memory engines: the coordinator's server context and
     * an agent's client context (BoringSSL when available, as in gRPC), records passed by hand.
     */
    private static final class HandshakePair {
        private final SslContext server;
        private final SslContext client;
        private int next;

        HandshakePair(SslContext server, TlsCredentials agent) throws SSLException {
            this.server = server;
            this.client = GrpcSslContexts.configure(SslContextBuilder.forClient()
                            .keyManager(agent.key(), agent.certificate(), agent.caCertificate()))
                    .trustManager(agent.caCertificate())
                    .protocols("TLSv1.3")
                    .build();
        }

        /** Runs {@code n} handshakes; returns handshakes per second. */
        double handshakes(int n) throws SSLException {
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                // The client checks the server's name, as an agent does; a new (nominal) port each time keeps its
                // session cache from resuming, so every handshake is full.
                SSLEngine c = client.newEngine(ByteBufAllocator.DEFAULT, "127.0.0.1", 1 + (next++ % 65535));
                SSLEngine s = server.newEngine(ByteBufAllocator.DEFAULT);
                try {
                    pump(c, s);
                } finally {
                    ReferenceCountUtil.release(c);
                    ReferenceCountUtil.release(s);
                }
            }
            return n / ((System.nanoTime() - start) / 1e9);
        }

        private static void pump(SSLEngine c, SSLEngine s) throws SSLException {
            ByteBuffer empty = ByteBuffer.allocate(0);
            ByteBuffer toServer = ByteBuffer.allocate(1 << 16);
            ByteBuffer toClient = ByteBuffer.allocate(1 << 16);
            ByteBuffer app = ByteBuffer.allocate(1 << 16);
            c.beginHandshake();
            s.beginHandshake();
            for (int round = 0; round < 64; round++) {
                if (done(c) && done(s)) {
                    return;
                }
                c.wrap(empty, toServer);
                tasks(c);
                toServer.flip();
                while (toServer.hasRemaining() && s.unwrap(toServer, app).bytesConsumed() > 0) {
                    tasks(s);
                }
                toServer.compact();
                s.wrap(empty, toClient);
                tasks(s);
                toClient.flip();
                while (toClient.hasRemaining() && c.unwrap(toClient, app).bytesConsumed() > 0) {
                    tasks(c);
                }
                toClient.compact();
                app.clear();
            }
            throw new SSLException("handshake did not finish");
        }

        private static boolean done(SSLEngine e) {
            SSLEngineResult.HandshakeStatus h = e.getHandshakeStatus();
            return h == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || h == SSLEngineResult.HandshakeStatus.FINISHED;
        }

        private static void tasks(SSLEngine e) {
            Runnable t;
            while ((t = e.getDelegatedTask()) != null) {
                t.run();
            }
        }
    }

    /** The cheapest real call: an empty job list. */
    private static final class Trivial extends AdminServiceGrpc.AdminServiceImplBase {
        @Override
        public void listJobs(ListJobsRequest req, StreamObserver<ListJobsResponse> obs) {
            obs.onNext(ListJobsResponse.getDefaultInstance());
            obs.onCompleted();
        }
    }
}
