package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.demo.DemoTask;
import io.fedlora.deploy.local.LocalFederation;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The coordinator process killed with SIGKILL at one point of a secure round after another (a round
 * just started and advertising keys, keys advertised, keys shared while clients train, masked inputs
 * in, while aggregating, while publishing with the blob written but the version not recorded, a
 * version just published) and restarted on the same store, with four real client processes:
 * each time the job resumes without an operator, an interrupted round is recorded ABORTED "coordinator
 * restarted" and run again, and no published version is lost or changed (numbers gapless, sha256 the
 * same before and after every crash). Once on the embedded H2 store, once on PostgreSQL (the server
 * {@code deploy/scripts/postgres-test.sh} runs; skipped without it, except under CI).
 */
@Timeout(600)
class CoordinatorCrashIT {

    private static final Path MODEL = Path.of("models/fedlora-tiny").toAbsolutePath();
    private static final int CLIENTS = 4;
    /** What the coordinator logs as a round reaches each kill point. */
    private static final List<String> KILL_POINTS = List.of(": selected ", ": secagg key advertisement stage closed",
            ": secagg key sharing stage closed", ": secagg masked input stage closed", ": holding at aggregate",
            ": holding at publish", " completed: ");
    private static final int ROUNDS = KILL_POINTS.size() + 1;

    @TempDir
    Path work;

    private LocalFederation federation;

    @BeforeEach
    void useThePackagedDistribution() {
        PackagedFederation.useThePackagedDistribution();
    }

    @AfterEach
    void stop() throws Exception {
        if (federation != null) {
            federation.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void theJobSurvivesACrashAtEveryPointOfARound(String store) throws Exception {
        DemoTask.Files data = DemoTask.write(work.resolve("data"), CLIENTS, 64, 10, 7);
        // Aggregating and publishing take milliseconds: the coordinator holds there so the kill lands inside.
        List<String> args = new ArrayList<>(List.of("--fault-hold", "aggregate=1500", "--fault-hold", "publish=1500"));
        if (!store.equals("h2")) {
            args.addAll(List.of("--store", freshPostgresDatabase()));
        }
        federation = LocalFederation.startCoordinator(work, args);
        for (int i = 0; i < CLIENTS; i++) {
            federation.startClient("site-" + (i + 1), MODEL, data.clientSlices().get(i), List.of());
        }
        String jobId;
        try (AdminClient a = admin()) {
            a.awaitConnected(CLIENTS);
            jobId = a.stub.createJob(CreateJobRequest.newBuilder().setConfig(jobConfig()).build()).getJobId();
            a.stub.startJob(AdminClient.ref(jobId));
        }
        Map<Integer, String> published = new LinkedHashMap<>();
        List<String> outcomes = new ArrayList<>();
        for (int k = 0; k < KILL_POINTS.size(); k++) {
            String point = KILL_POINTS.get(k);
            int round;
            try (AdminClient a = admin()) {
                round = a.awaitRunningRound(jobId);
            }
            Path log = federation.coordinator().log();
            awaitLog(log, "round " + round + point);
            federation.crashAndRestartCoordinator(k + 1);
            try (AdminClient a = admin()) {
                List<RoundSummary> rounds = a.rounds(jobId);
                RoundSummary hit = rounds.stream().filter(r -> r.getRound() == round).findFirst().orElseThrow(() ->
                        new AssertionError("round " + round + ", RUNNING before the crash, is gone from the store: " + rounds));
                outcomes.add("round " + round + " killed after '" + point.strip() + "': " + hit.getState()
                        + (hit.getAbortReason().isEmpty() ? "" : " (" + hit.getAbortReason() + ")"));
                if (point.contains("holding at")) {
                    // Killed mid-aggregation, or with the adapter's blob written but its version not yet recorded.
                    assertEquals(RoundState.ROUND_STATE_ABORTED, hit.getState(), outcomes.toString());
                    assertEquals("coordinator restarted", hit.getAbortReason());
                }
                for (RoundSummary r : rounds) {
                    if (r.getState() == RoundState.ROUND_STATE_RUNNING) {
                        throw new AssertionError("round " + r.getRound() + " still RUNNING after the restart: " + rounds);
                    }
                    if (r.getState() == RoundState.ROUND_STATE_ABORTED && r.getEndedUnixMs() > 0
                            && r.getRound() == round) {
                        assertEquals("coordinator restarted", r.getAbortReason(), r.toString());
                    }
                }
                AdminClient.assertVersionsKept(rounds, published);
                a.awaitCompletedRounds(jobId, Math.min(ROUNDS, published.size() + 1));
                AdminClient.assertVersionsKept(a.rounds(jobId), published);
            }
        }
        try (AdminClient a = admin()) {
            Job done = a.awaitJob(jobId);
            assertEquals(JobState.JOB_STATE_COMPLETED, done.getState(), done.getFailureReason() + "\n" + outcomes);
            assertEquals(ROUNDS, done.getCompletedRounds());
            assertEquals(ROUNDS, done.getLatestAdapterVersion());
            AdminClient.assertVersionsKept(a.rounds(jobId), published);
            assertEquals(ROUNDS, published.size(), "versions 1.." + ROUNDS + ", gapless: " + published.keySet());
        }
        System.out.println("crash points:\n  " + String.join("\n  ", outcomes));
        assertTrue(outcomes.stream().filter(o -> o.contains("ABORTED (coordinator restarted)")).count() >= 3,
                "most kill points interrupt a round: " + outcomes);
    }

    /** A new database on the test PostgreSQL server, for this run alone. */
    private static String freshPostgresDatabase() throws Exception {
        String server = System.getenv("FEDLORA_TEST_POSTGRES_URL");
        if (server == null || server.isBlank()) {
            String how = "no PostgreSQL: start one with `deploy/scripts/postgres-test.sh start` and set"
                    + " FEDLORA_TEST_POSTGRES_URL to the URL it prints";
            if (System.getenv("CI") != null) {
                throw new AssertionError(how + " (.ci/run does)");
            }
            Assumptions.abort(how);
        }
        String name = "fedlora_crash_" + Long.toHexString(System.nanoTime());
        try (var c = java.sql.DriverManager.getConnection(server); var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return server.replaceFirst("(jdbc:postgresql://[^/?]+/)[^?]*", "$1" + name);
    }

    private static void awaitLog(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!Files.exists(log) || !Files.readString(log).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "the coordinator never logged '" + text + "'");
            Thread.sleep(5);
        }
    }

    private AdminClient admin() throws Exception {
        return new AdminClient(federation.openAdminChannel());
    }

    private static JobConfig jobConfig() throws Exception {
        return PackagedFederation.secureJob("crash", ROUNDS, CLIENTS, 10, 30);
    }
}
