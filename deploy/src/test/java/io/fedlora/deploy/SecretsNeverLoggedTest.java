package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.crypto.secagg.SecAggSecretsTap;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundSummary;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPrivateKey;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6: secure rounds over mutual TLS with every logger at DEBUG (fedlora, gRPC, netty, H2's
 * trace file); then every log line and every file the coordinator left (its H2 database included)
 * is searched for each client's secrets: Ed25519 identity key, TLS key, SecAgg X25519 keys, DH
 * agreements, self-mask and pairwise seeds, Shamir shares and share keys, enrollment tokens, raw
 * updates and encoded vectors, as raw bytes, hex and base64. A finding names the secret and where.
 */
@Timeout(180)
class SecretsNeverLoggedTest {

    private static final int AGENTS = 4;

    @TempDir
    Path dir;

    private final Map<String, byte[]> shortSecrets = new ConcurrentHashMap<>();
    private final Map<String, float[]> deltas = new ConcurrentHashMap<>();
    private final Map<String, int[]> encoded = new ConcurrentHashMap<>();

    @Test
    void noClientSecretReachesAnyLogOrTheCoordinatorsFiles() throws Exception {
        Path data = dir.resolve("coordinator");
        LogCapture logs = new LogCapture();
        var seen = new java.util.concurrent.atomic.AtomicInteger();
        SecAggSecretsTap.install((what, secret) -> shortSecrets.put(what + " (#" + seen.incrementAndGet() + ")", secret));
        try (logs) {
            TlsFederationFixture federation = TlsFederationFixture.start(dir);
            CoordinatorServer server = federation.server();
            try {
                traceH2AtDebug(data);
                for (String name : List.of(AgentNode.class.getName(), CoordinatorServer.class.getName(),
                        "io.grpc.netty.shaded.io.netty.handler.ssl.SslHandler", "org.h2.engine")) {
                    assertTrue(org.slf4j.LoggerFactory.getLogger(name).isDebugEnabled(), name + " at DEBUG");
                }
                for (int i = 0; i < AGENTS; i++) {
                    String name = "hospital-" + i;
                    String token = federation.enrollmentToken(name, "agent");
                    shortSecrets.put(name + ": enrollment token", token.getBytes(StandardCharsets.US_ASCII));
                    shortSecrets.put(name + ": enrollment token (decoded)",
                            Base64.getUrlDecoder().decode(token.substring(token.indexOf('.') + 1)));
                    startAgent(federation, name, token);
                }
                String job = server.jobs().create(secureJob()).jobId();
                server.startJob(job);
                assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job, Duration.ofSeconds(90)).getState());
                for (RoundSummary r : server.jobs().rounds(job)) {
                    assertEquals(AGENTS, r.getContributingNodesCount(), r.toString());
                }
            } finally {
                federation.close();
                SecAggSecretsTap.uninstall();
            }
        }
        for (int i = 0; i < AGENTS; i++) {
            addNodeKeys(dir.resolve("agents/hospital-" + i), "hospital-" + i);
        }

        SecretScanner scanner = scanner();
        // What was captured: DEBUG lines from fedlora and the libraries, gRPC's FINE records, H2's SQL trace.
        String text = new String(logs.logbackBytes(), StandardCharsets.UTF_8);
        // How many DEBUG lines there are depends on what ran before in this JVM (netty logs its set-up once).
        assertTrue(logs.debugEvents() > 0, "DEBUG events captured: " + logs.debugEvents());
        assertTrue(text.contains("INFO io.fedlora.coordinator") && text.contains("INFO io.fedlora.client"),
                "the coordinator's and the agents' own lines captured");
        assertTrue(logs.julFineRecords() > 0, "gRPC's java.util.logging FINE records captured");
        Path trace = data.resolve("fedlora.trace.db");
        assertTrue(Files.exists(trace) && Files.readString(trace, StandardCharsets.ISO_8859_1).contains("INSERT INTO"),
                "H2 traced its statements");
        assertTrue(scanner.secrets() > AGENTS * 2 * 20, "secrets collected: " + scanner.secrets());

        List<SecretScanner.Finding> found = new ArrayList<>();
        found.addAll(scanner.scan("the logback output", logs.logbackBytes()));
        found.addAll(scanner.scan("the java.util.logging output", logs.julBytes()));
        try (var files = Files.walk(data)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                found.addAll(scanner.scan(data.relativize(f).toString(), Files.readAllBytes(f)));
            }
        }
        assertEquals(List.of(), found.stream().map(SecretScanner.Finding::toString).toList(),
                "client secrets in the coordinator's files or in the logs");
    }

    /** The scanner finds each form of a secret planted at an awkward offset, and names it. */
    @Test
    void theScanFindsAPlantedSecretInEveryForm() {
        SecretScanner s = new SecretScanner();
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        float[] delta = new float[64];
        int[] words = new int[64];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = (float) (1e-3 * ((i % 11) - 5) + (i + 1) * 1e-6);
            words[i] = 0x10203 * (i + 7);
        }
        s.addSecret("node-1: self-mask seed", key);
        s.addVector("node-1: raw update", SecretScanner.littleEndian(delta), delta);
        s.addVector("node-1: encoded update", SecretScanner.littleEndian(words), null);

        assertEquals(List.of(), s.scan("clean", "nothing secret here 0000000000000000000000000".getBytes()));
        byte[] blob = new byte[200];
        System.arraycopy(key, 0, blob, 37, 32);
        assertFound(s, "raw", blob, "node-1: self-mask seed");
        assertFound(s, "HEX", ("x=" + java.util.HexFormat.of().withUpperCase().formatHex(key)).getBytes(), "node-1: self-mask seed");
        for (int skip = 0; skip < 3; skip++) {
            byte[] withPrefix = new byte[skip + 32];
            System.arraycopy(key, 0, withPrefix, skip, 32);
            // The two alphabets share most windows: either form's name will do.
            assertFound(s, "base64", ("k: " + Base64.getEncoder().encodeToString(withPrefix)).getBytes(), "node-1: self-mask seed");
            assertFound(s, "base64", Base64.getUrlEncoder().encodeToString(withPrefix).getBytes(), "node-1: self-mask seed");
        }
        float[] part = Arrays.copyOfRange(delta, 5, 20);
        assertFound(s, "decimal", ("delta " + Arrays.toString(part)).getBytes(), "node-1: raw update");
        byte[] encodedPart = Arrays.copyOfRange(SecretScanner.littleEndian(words), 13, 101);
        assertFound(s, "raw", encodedPart, "node-1: encoded update");
        assertFound(s, "hex", java.util.HexFormat.of().formatHex(encodedPart).getBytes(), "node-1: encoded update");
    }

    private static void assertFound(SecretScanner s, String form, byte[] haystack, String secret) {
        List<SecretScanner.Finding> f = s.scan("planted", haystack);
        assertTrue(f.stream().anyMatch(x -> x.secret().equals(secret) && x.form().startsWith(form)),
                form + " of " + secret + " not found: " + f);
    }

    private SecretScanner scanner() {
        SecretScanner s = new SecretScanner();
        shortSecrets.forEach(s::addSecret);
        deltas.forEach((k, v) -> s.addVector(k + ": raw update", SecretScanner.littleEndian(v), v));
        encoded.forEach((k, v) -> s.addVector(k + ": encoded update", SecretScanner.littleEndian(v), null));
        return s;
    }

    /** The node's long-term keys from its state dir: the Ed25519 identity seed and the TLS private key. */
    private void addNodeKeys(Path state, String name) throws Exception {
        shortSecrets.put(name + ": Ed25519 identity key", Files.readAllBytes(state.resolve("identity-ed25519.key")));
        var tls = TlsCredentials.load(state.resolve("tls"));
        // The scalar alone: PKCS#8 and PEM wrap it in a fixed header every P-256 key shares.
        BigInteger d = ((ECPrivateKey) tls.key()).getS();
        byte[] scalar = new byte[32];
        byte[] be = d.toByteArray();
        System.arraycopy(be, Math.max(0, be.length - 32), scalar, Math.max(0, 32 - be.length), Math.min(32, be.length));
        shortSecrets.put(name + ": TLS private key (scalar)", scalar);
    }

    /** H2 writes every statement, with its parameters, to fedlora.trace.db (a database-wide setting). */
    private static void traceH2AtDebug(Path data) throws Exception {
        try (var c = DriverManager.getConnection("jdbc:h2:file:" + data.toAbsolutePath().resolve("fedlora")
                + ";DB_CLOSE_ON_EXIT=FALSE", "fedlora", ""); var st = c.createStatement()) {
            st.execute("SET TRACE_LEVEL_FILE 3");
        }
    }

    /** An agent that keeps each raw update and encoded vector it sends, for the scan. */
    private void startAgent(TlsFederationFixture federation, String name, String token) throws Exception {
        LocalTrainer trainer = new LocalTrainer() {
            @Override
            public TrainOutcome train(TrainRequest req) {
                float[] d = TinyFederation.delta(req, name);
                deltas.put(name + " round " + req.round(), d.clone());
                return new TrainOutcome(d, 20 + TinyFederation.scale(name), 0.5, 1, 0.01);
            }
        };
        federation.startAgent(federation.enrolledAgent(name, token)
                .encodedUpdateListener((job, round, words) -> encoded.put(name + " round " + round, words.clone()))
                .build(), trainer);
    }

    private static JobConfig secureJob() {
        JobConfig.Builder job = TinyFederation.secureJob("secrets", 2, AGENTS, AGENTS).setRoundDeadlineSeconds(30);
        job.getSecureAggregationBuilder().setStageTimeoutSeconds(10);
        return job.build();
    }
}
