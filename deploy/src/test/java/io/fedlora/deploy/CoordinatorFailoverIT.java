package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.demo.DemoTask;
import io.fedlora.coordinator.store.PostgresTestDatabase;
import io.fedlora.coordinator.store.S3TestServer;
import io.fedlora.crypto.pki.PrivateFiles;
import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.deploy.local.JavaProcess;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinator processes with {@code --standby} on one PostgreSQL store and one S3-compatible blob
 * store (s3proxy), four real client processes given both addresses, a secure job running:
 * <ol>
 *   <li>the active coordinator is killed with SIGKILL while clients train; the standby takes the
 *       lease and listens within 15 s, the interrupted round is recorded ABORTED "coordinator
 *       restarted" and run again, the clients follow it;
 *   <li>the killed one comes back as a standby; the now active one is paused (SIGSTOP) just before it
 *       publishes, the standby takes over, and when the paused one resumes its publish is fenced: it
 *       writes nothing and exits 75 to be restarted as a standby.
 * </ol>
 * The job completes with every published version kept (sha256 unchanged) and the numbers gapless.
 */
@Timeout(900)
class CoordinatorFailoverIT {

    private static final int CLIENTS = 4;
    private static final int ROUNDS = 5;
    private static final Duration TAKEOVER_GOAL = Duration.ofSeconds(15);

    @TempDir
    Path work;

    private final List<JavaProcess> processes = new ArrayList<>();
    private PostgresTestDatabase db;
    private S3TestServer s3;

    @AfterEach
    void stop() throws Exception {
        for (int i = processes.size() - 1; i >= 0; i--) {
            resume(processes.get(i)); // a paused process would ignore SIGTERM until killed
            processes.get(i).close();
        }
        if (s3 != null) {
            s3.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aStandbyTakesOverFromAKilledCoordinatorAndAPausedOneCannotPublish() throws Exception {
        PackagedFederation.useThePackagedDistribution();
        db = PostgresTestDatabase.create();
        s3 = S3TestServer.start(Files.createDirectories(work.resolve("s3")));
        String bucket = s3.createBucket();
        Path s3Credentials = work.resolve("s3-credentials");
        PrivateFiles.writeSecret(s3Credentials, "[default]\naws_access_key_id = " + S3TestServer.ACCESS_KEY
                + "\naws_secret_access_key = " + S3TestServer.SECRET_KEY + "\n");
        int portA = freePort();
        int portB = freePort();
        // Publishing holds 2.5 s, so the pause in act 2 lands between the blob and the version's record.
        List<String> shared = List.of("--standby", "--store", db.url(), "--blobs", "s3://" + bucket + "/adapters",
                "--s3-endpoint", s3.endpoint().toString(), "--s3-region", "us-east-1", "--s3-credentials-file",
                s3Credentials.toString(), "--dashboard-port", "0", "--fault-hold", "publish=2500");

        JavaProcess a = coordinator("a", portA, shared, List.of());
        a.awaitLine(Duration.ofSeconds(90));
        // The standby must hold the same CA: the clients trust it, and it issued their certificates.
        Path ca = Files.createDirectories(work.resolve("ca"));
        Files.copy(work.resolve("a/pki/ca.crt"), ca.resolve("ca.crt"));
        Files.copy(work.resolve("a/pki/ca.key"), ca.resolve("ca.key"));
        int probesB = freePort();
        JavaProcess b = coordinator("b", portB, shared, List.of("--ca-cert", ca.resolve("ca.crt").toString(),
                "--ca-key", ca.resolve("ca.key").toString(), "--health-port", Integer.toString(probesB)));
        awaitLog(b, "standby: coordinator ");
        // A standby is alive (no restart) but not ready (no traffic routed to it).
        assertEquals(200, probe(probesB, "/livez").statusCode());
        HttpResponse<String> standbyReady = probe(probesB, "/readyz");
        assertEquals(503, standbyReady.statusCode());
        assertTrue(standbyReady.body().startsWith("standby"), standbyReady.body());

        String targets = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
        DemoTask.Files data = DemoTask.write(work.resolve("data"), CLIENTS, 64, 10, 7);
        String jobId;
        Map<Integer, String> published = new LinkedHashMap<>();
        try (AdminClient admin = admin("a", portA)) {
            for (int i = 0; i < CLIENTS; i++) {
                client("site-" + (i + 1), targets, data.clientSlices().get(i), admin);
            }
            admin.awaitConnected(CLIENTS);
            jobId = admin.stub.createJob(CreateJobRequest.newBuilder()
                    .setConfig(PackagedFederation.secureJob("failover", ROUNDS, CLIENTS, 10, 30)).build()).getJobId();
            admin.stub.startJob(AdminClient.ref(jobId));
            admin.awaitCompletedRounds(jobId, 1);
            AdminClient.assertVersionsKept(admin.rounds(jobId), published);
        }

        // Act 1: SIGKILL the active coordinator while the clients train.
        int interrupted = awaitRoundAt(a, "secagg key sharing stage closed", 2, 0);
        long killed = System.nanoTime();
        a.kill();
        b.awaitLine(TAKEOVER_GOAL.plusSeconds(30));
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        AdminClient.await("b's /readyz answers 200 once it is active", () -> probe(probesB, "/readyz").statusCode() == 200);
        Duration clientsBack;
        try (AdminClient admin = admin("b", portB)) {
            admin.awaitConnected(CLIENTS);
            clientsBack = Duration.ofNanos(System.nanoTime() - killed);
            RoundSummary hit = round(admin, jobId, interrupted);
            assertEquals(RoundState.ROUND_STATE_ABORTED, hit.getState(), hit.toString());
            assertEquals("coordinator restarted", hit.getAbortReason());
            AdminClient.assertVersionsKept(admin.rounds(jobId), published);
        }
        System.out.printf("failover: the standby listened %.1f s after the kill, all %d clients back after %.1f s%n",
                takeover.toMillis() / 1e3, CLIENTS, clientsBack.toMillis() / 1e3);
        assertTrue(takeover.compareTo(TAKEOVER_GOAL) < 0, "took over in " + takeover + ", goal " + TAKEOVER_GOAL);
        for (int i = 0; i < CLIENTS; i++) {
            awaitLog(processes.get(2 + i), "following coordinator 127.0.0.1:" + portB);
        }

        // Act 2: a comes back as the standby; b is paused just before it records a version.
        JavaProcess a2 = coordinator("a-2", "a", portA, shared, List.of());
        awaitLog(a2, "standby: coordinator ");
        // Only a hold that starts from now: b may have held (and published) a round while a-2 started.
        int paused = awaitRoundAt(b, "holding at publish", interrupted + 1, read(b.log()).length());
        signal(b, "STOP");
        a2.awaitLine(TAKEOVER_GOAL.plusSeconds(30));
        signal(b, "CONT");
        OptionalInt exit = b.waitForExit(Duration.ofSeconds(60));
        assertEquals(OptionalInt.of(75), exit, "the paused coordinator steps down when it finds its lease taken");
        String bLog = Files.readString(b.log());
        assertTrue(bLog.contains("lost the active coordinator's lease"), "b says why it stopped");
        try (AdminClient admin = admin("a", portA)) {
            RoundSummary hit = round(admin, jobId, paused);
            assertEquals(RoundState.ROUND_STATE_ABORTED, hit.getState(), "the fenced publish wrote nothing: " + hit);
            AdminClient.assertVersionsKept(admin.rounds(jobId), published);
            Job done = admin.awaitJob(jobId);
            assertEquals(JobState.JOB_STATE_COMPLETED, done.getState(), done.getFailureReason());
            assertEquals(ROUNDS, done.getLatestAdapterVersion());
            AdminClient.assertVersionsKept(admin.rounds(jobId), published);
            assertEquals(ROUNDS, published.size(), "versions 1.." + ROUNDS + ", gapless: " + published.keySet());
        }
    }

    private JavaProcess coordinator(String name, int port, List<String> shared, List<String> more) throws Exception {
        return coordinator(name, name, port, shared, more);
    }

    private JavaProcess coordinator(String name, String dataDir, int port, List<String> shared, List<String> more)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("coordinator", "--data-dir", work.resolve(dataDir).toString(),
                "--host", "127.0.0.1", "--port", Integer.toString(port)));
        args.addAll(shared);
        args.addAll(more);
        JavaProcess p = JavaProcess.start("coordinator-" + name, args, work.resolve("logs/coordinator-" + name + ".log"),
                line -> line.contains("coordinator listening on "));
        processes.add(p);
        return p;
    }

    private void client(String name, String targets, Path data, AdminClient admin) throws Exception {
        Path token = work.resolve("tokens/" + name);
        PrivateFiles.writeSecret(token, TrustAdminServiceGrpc.newBlockingStub(admin.channel).createEnrollmentToken(
                CreateEnrollmentTokenRequest.newBuilder().setName(name).setRole("agent").setTtlSeconds(600).build())
                .getToken());
        processes.add(JavaProcess.start(name, List.of("client", "--coordinator", targets, "--model",
                PackagedFederation.MODEL.toString(), "--data", data.toString(), "--state-dir",
                work.resolve("clients/" + name).toString(), "--name", name, "--enroll-token-file", token.toString(),
                "--ca-cert", work.resolve("ca/ca.crt").toString()), work.resolve("logs/" + name + ".log"), null));
    }

    /** The local admin of coordinator {@code dataDir} (its credentials are issued by the shared CA). */
    private AdminClient admin(String dataDir, int port) throws Exception {
        return new AdminClient(CoordinatorAddress.open("127.0.0.1:" + port, work.resolve(dataDir + "/pki/admin")));
    }

    private static RoundSummary round(AdminClient admin, String job, int round) throws InterruptedException {
        RoundSummary[] found = {null};
        AdminClient.await("round " + round + " recorded as ended", () -> {
            found[0] = admin.rounds(job).stream().filter(r -> r.getRound() == round).findFirst().orElse(null);
            return found[0] != null && found[0].getState() != RoundState.ROUND_STATE_RUNNING;
        });
        return found[0];
    }

    /**
     * Waits until the coordinator logs {@code text} for a round numbered from {@code first}, after the
     * first {@code from} characters of its log, and returns that round.
     */
    private static int awaitRoundAt(JavaProcess p, String text, int first, int from) throws Exception {
        java.util.regex.Pattern at = java.util.regex.Pattern.compile("round (\\d+): " + java.util.regex.Pattern.quote(text));
        int[] round = {0};
        AdminClient.await(p.name() + " logs '" + text + "'", () -> {
            String log = read(p.log());
            var m = at.matcher(log.length() > from ? log.substring(from) : "");
            while (round[0] == 0 && m.find()) {
                int r = Integer.parseInt(m.group(1));
                round[0] = r >= first ? r : 0;
            }
            return round[0] > 0;
        });
        return round[0];
    }

    private static HttpResponse<String> probe(int port, String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void awaitLog(JavaProcess p, String text) throws InterruptedException {
        AdminClient.await(p.name() + " logs '" + text + "'", () -> read(p.log()).contains(text));
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static void signal(JavaProcess p, String signal) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
        assertEquals(0, k.waitFor(), "kill -" + signal);
    }

    private static void resume(JavaProcess p) {
        try {
            if (p.isAlive()) {
                signal(p, "CONT");
            }
        } catch (Exception | AssertionError ignored) {
            // Best effort while cleaning up.
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
