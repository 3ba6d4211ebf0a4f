package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.privacy.PrivacyBudget;
import io.fedlora.client.privacy.PrivacyLedger;
import io.fedlora.crypto.privacy.SampledGaussianSteps;
import io.fedlora.deploy.doctor.CheckResult;
import io.fedlora.deploy.doctor.Doctor;
import io.fedlora.deploy.doctor.NodeChecks;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedlora doctor} on an enrolled node against a real coordinator over mutual TLS on loopback:
 * every check passes on a healthy node, and each broken thing (a damaged ledger, another model, an
 * unreachable coordinator, a skewed clock) fails its own line and the exit code.
 */
@Timeout(120)
class DoctorTest {

    private static final Path MODEL = Path.of("models/fedlora-tiny").toAbsolutePath();

    @TempDir
    Path dir;

    private TlsFederationFixture federation;
    private Path stateDir;
    private String coordinator;

    @BeforeEach
    void enrolAnAgent() throws Exception {
        federation = TlsFederationFixture.start(dir);
        AgentConfig config = federation.enrolledAgent("node-a", federation.enrollmentToken("node-a", "agent")).build();
        federation.startAgent(config, TinyFederation.trainer());
        stateDir = config.stateDir();
        coordinator = "127.0.0.1:" + federation.server().port();
    }

    @AfterEach
    void stop() {
        if (federation != null) {
            federation.close();
        }
    }

    @Test
    void everyCheckOfAHealthyEnrolledNodePassesAndTheJsonSaysSo() throws Exception {
        writeLedger(stateDir.resolve("privacy-ledger.json"));
        CliRun run = CliRun.run("doctor", "--coordinator", coordinator, "--state-dir", stateDir.toString(),
                "--model", MODEL.toString(), "--model-sha256", CheckpointFiles.sha256(MODEL), "--json");
        assertEquals(0, run.exit(), run.out() + run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertTrue(json.path("ok").asBoolean());
        Map<String, String> statuses = new HashMap<>();
        json.path("checks").forEach(c -> statuses.put(c.path("name").asText(), c.path("status").asText()));
        for (String name : List.of("java", "cpu-memory", "cuda", "model", "reachability", "tls", "certificates",
                "clock-skew", "privacy-ledger")) {
            assertEquals("OK", statuses.get(name), name + " in " + run.out());
        }
        assertTrue(statuses.containsKey("disk"), run.out());
        assertTrue(run.out().contains("TLSv1.3"), run.out());
        assertTrue(run.out().contains("coordinator SERVING"), run.out());
    }

    @Test
    void aLedgerWithOneByteChangedFailsNamingTheFile() throws Exception {
        Path ledger = stateDir.resolve("privacy-ledger.json");
        writeLedger(ledger);
        byte[] bytes = Files.readAllBytes(ledger);
        int at = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).indexOf("job-1");
        bytes[at + 4] = (byte) '7'; // job-1 -> job-7: still valid JSON, the checksum no longer matches
        Files.write(ledger, bytes);

        CliRun run = CliRun.run("doctor", "--coordinator", coordinator, "--state-dir", stateDir.toString());
        assertEquals(1, run.exit(), run.out());
        String line = lineOf(run.out(), "privacy-ledger");
        assertTrue(line.startsWith("FAIL"), line);
        assertTrue(line.contains(ledger.toString()) && line.contains("checksum"), line);
        assertTrue(lineOf(run.out(), "tls").startsWith("OK"), "only the ledger fails: " + run.out());
    }

    @Test
    void aModelOtherThanTheJobsFails() throws Exception {
        CliRun run = CliRun.run("doctor", "--model", MODEL.toString(), "--model-sha256", "00".repeat(32));
        assertEquals(1, run.exit(), run.out());
        String line = lineOf(run.out(), "model");
        assertTrue(line.startsWith("FAIL") && line.contains("differs from the job's"), line);
        assertTrue(lineOf(run.out(), "reachability").startsWith("SKIP"), run.out());
    }

    @Test
    void aCoordinatorThatDoesNotAnswerFailsReachabilityAndHandshake() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        CliRun run = CliRun.run("doctor", "--coordinator", "127.0.0.1:" + closedPort, "--state-dir",
                stateDir.toString(), "--timeout", "3s");
        assertEquals(1, run.exit(), run.out());
        for (String name : List.of("reachability", "tls", "clock-skew")) {
            assertTrue(lineOf(run.out(), name).startsWith("FAIL"), name + ": " + run.out());
        }
        assertTrue(lineOf(run.out(), "certificates").startsWith("OK"), "its own certificate is still fine");
    }

    @Test
    void withAStandbyListedTheChecksGoToTheCoordinatorThatAnswers() throws Exception {
        int standby;
        try (ServerSocket s = new ServerSocket(0)) {
            standby = s.getLocalPort();
        }
        CliRun run = CliRun.run("doctor", "--coordinator", "127.0.0.1:" + standby + "," + coordinator, "--state-dir",
                stateDir.toString(), "--timeout", "3s");
        assertEquals(0, run.exit(), run.out());
        String reach = lineOf(run.out(), "reachability");
        assertTrue(reach.startsWith("OK") && reach.contains(coordinator + " (127.0.0.1) accepts connections")
                && reach.contains("not listening (a standby opens its port only when it takes over): 127.0.0.1:"
                + standby), reach);
        for (String name : List.of("tls", "clock-skew")) {
            assertTrue(lineOf(run.out(), name).startsWith("OK"), name + ": " + run.out());
        }
    }

    @Test
    void aClockAMinuteAheadOfTheCoordinatorsFails() {
        InstantSource ahead = () -> Instant.now().plusSeconds(60);
        List<CheckResult> results = new Doctor(NodeChecks.of(Optional.of(coordinator), stateDir.resolve("tls"),
                Optional.of(stateDir), Optional.empty(), Optional.empty(), Duration.ofSeconds(5), Duration.ofSeconds(10),
                ahead)).run();
        CheckResult skew = results.stream().filter(r -> r.name().equals("clock-skew")).findFirst().orElseThrow();
        assertEquals(CheckResult.Status.FAIL, skew.status(), skew.detail());
        java.util.regex.Matcher ms = java.util.regex.Pattern.compile("behind by (\\d+) ms").matcher(skew.detail());
        assertTrue(ms.find() && Math.abs(Long.parseLong(ms.group(1)) - 60_000) < 5_000, skew.detail());
        assertTrue(Doctor.anyFailed(results));
    }

    private static void writeLedger(Path file) throws Exception {
        PrivacyLedger ledger = PrivacyLedger.open(file, new PrivacyBudget(8, 8, 1e-5), InstantSource.system());
        ledger.recordRelease("job-1", 1, new SampledGaussianSteps(0.05, 1.1, 20));
    }

    private static String lineOf(String report, String check) {
        return report.lines().filter(l -> l.split("\\s+").length > 1 && l.split("\\s+")[1].equals(check)).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + check + " in:\n" + report));
    }
}
