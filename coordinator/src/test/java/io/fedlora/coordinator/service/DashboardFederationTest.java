package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.coordinator.web.DashboardClient;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.JobLogLine;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.WatchJobLogRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's API against a coordinator with real enrolled agents over mutual TLS: live events
 * from the job feed (replay, then live), the node list, and an admin's revocation.
 */
class DashboardFederationTest {

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private TlsTestClients clients;
    private final List<GrpcTestAgent> agents = new ArrayList<>();
    // The job log holds what the coordinator logs at its level; the tests' logback config says WARN.
    private final ch.qos.logback.classic.Logger roundLog =
            (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.fedlora.coordinator.round");

    @BeforeEach
    void start() throws Exception {
        roundLog.setLevel(ch.qos.logback.classic.Level.INFO);
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).port(0).insecurePlaintext(true)
                .heartbeatInterval(Duration.ofMillis(200))
                .roundTiming(new RoundTiming(Duration.ofMillis(20), Duration.ofMillis(20))).build());
        clients = new TlsTestClients(server, dir);
        for (String name : List.of("node-a", "node-b")) {
            TlsTestClients.Enrolled e = clients.enrollAgent(name);
            GrpcTestAgent a = new GrpcTestAgent(clients.channel(Optional.of(e.credentials())), name, 10, true);
            a.identityKey = e.identity().publicKey().toBytes();
            a.register();
            a.connect();
            agents.add(a);
        }
    }

    @AfterEach
    void stop() throws Exception {
        agents.forEach(GrpcTestAgent::close);
        clients.close();
        server.close();
        roundLog.setLevel(null);
    }

    private DashboardClient signedIn(CertificateRole role) throws Exception {
        DashboardClient c = new DashboardClient(server.dashboardUrl().orElseThrow(), server.caCertificateFile().orElseThrow());
        assertEquals(200, c.signIn(server.dashboardLoginLink("pat", role, Duration.ofMinutes(5))).statusCode());
        return c;
    }

    /** Reads server-sent events until the server ends the stream: (event, data) pairs. */
    private static List<String[]> readEvents(HttpResponse<InputStream> r) throws Exception {
        List<String[]> events = new ArrayList<>();
        forEachEvent(r, (event, data) -> events.add(new String[] {event, data}));
        return events;
    }

    /** Hands each server-sent event (its name, its data) to {@code sink} until the stream ends. */
    private static void forEachEvent(HttpResponse<InputStream> r, java.util.function.BiConsumer<String, String> sink)
            throws java.io.IOException {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String event = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    sink.accept(event, line.substring(6));
                }
            }
        }
    }

    private static List<Integer> rounds(List<String[]> events) {
        return events.stream().filter(e -> e[0].equals("round")).map(e -> new JsonObject(e[1]).getInteger("round")).toList();
    }

    @Test
    void eventsReplayEndedRoundsThenStreamLiveOnes() throws Exception {
        DashboardClient viewer = signedIn(CertificateRole.VIEWER);
        String done = server.jobs().create(Fixtures.config(2, 2, 2, 30)).jobId();
        server.startJob(done);
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(done, Duration.ofSeconds(60)).getState());

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            HttpResponse<InputStream> replay = viewer.stream("/api/v1/events?job=" + done);
            assertEquals(200, replay.statusCode());
            assertTrue(replay.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
            List<String[]> events = readEvents(replay);
            assertEquals(List.of(1, 2), rounds(events));
            JsonObject last = new JsonObject(events.get(events.size() - 1)[1]);
            assertEquals("completed", last.getString("state"));
            assertEquals(2, last.getInteger("roundsDone"));

            String live = server.jobs().create(Fixtures.config(2, 2, 2, 30)).jobId();
            HttpResponse<InputStream> stream = viewer.stream("/api/v1/events?job=" + live);
            server.startJob(live);
            List<String[]> liveEvents = readEvents(stream);
            assertEquals(List.of(1, 2), rounds(liveEvents));
            assertTrue(liveEvents.stream().anyMatch(e -> e[0].equals("log")
                    && new JsonObject(e[1]).getString("message").contains("round 2: selected")));
            JsonObject round = liveEvents.stream().filter(e -> e[0].equals("round")).map(e -> new JsonObject(e[1]))
                    .findFirst().orElseThrow();
            assertEquals("completed", round.getString("state"));
            assertEquals(2, round.getJsonArray("contributors").size());
            assertEquals(64, round.getString("sha256").length());
            assertEquals(java.util.Set.of("collect", "aggregate"), round.getJsonObject("stageMs").fieldNames());
        });

        HttpResponse<String> detail = viewer.get("/api/v1/jobs/" + done);
        JsonObject job = new JsonObject(detail.body());
        assertEquals(2, job.getJsonArray("rounds").size());
        assertEquals(3, job.getJsonArray("versions").size());
        HttpResponse<byte[]> zip = viewer.getBytes("/api/v1/jobs/" + done + "/adapters/2");
        assertEquals(200, zip.statusCode());
        assertEquals("application/zip", zip.headers().firstValue("content-type").orElseThrow());
        assertEquals('P', zip.body()[0]);
        assertEquals(404, viewer.get("/api/v1/events?job=no-such-job").statusCode());

        JsonArray lines = new JsonObject(viewer.get("/api/v1/jobs/" + done + "/log").body()).getJsonArray("lines");
        assertTrue(lines.stream().map(JsonObject.class::cast).anyMatch(l -> l.getString("message").contains("completed")),
                lines::encodePrettily);
        var grpcLines = new ArrayList<JobLogLine>();
        AdminServiceGrpc.newBlockingStub(clients.adminChannel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .watchJobLog(WatchJobLogRequest.newBuilder().setJobId(done).setFollow(true).build())
                .forEachRemaining(grpcLines::add);
        assertEquals(lines.size(), grpcLines.size());
        assertEquals(lines.getJsonObject(0).getString("message"), grpcLines.get(0).getMessage());
    }

    @Test
    void theAllJobsStreamSendsEveryJobThenEachCreationStateChangeAndRound() throws Exception {
        DashboardClient viewer = signedIn(CertificateRole.VIEWER);
        String before = server.jobs().create(Fixtures.config(1, 2, 2, 30)).jobId();
        HttpResponse<InputStream> stream = viewer.stream("/api/v1/events");
        assertEquals(200, stream.statusCode());
        java.util.concurrent.BlockingQueue<JsonObject> rows = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try {
                forEachEvent(stream, (event, data) -> {
                    if ("job".equals(event)) {
                        rows.add(new JsonObject(data));
                    }
                });
            } catch (java.io.IOException closed) {
                // The test closed the stream.
            }
        }, "all-jobs-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            List<JsonObject> seen = new ArrayList<>();
            awaitRow(rows, seen, before, "created", 0);
            // A job created after the page opened, then its start, each round and its end: all on the one stream.
            String later = server.jobs().create(Fixtures.config(2, 2, 2, 30)).jobId();
            awaitRow(rows, seen, later, "created", 0);
            int mark = seen.size();
            server.startJob(later);
            awaitRow(rows, seen, later, "completed", 2);
            // Each change sent its own row, read after it: running (start, round 1, round 2 ...) then completed,
            // rounds never going backwards. Reads may lag a change, so the exact counts seen can vary.
            List<JsonObject> after = seen.subList(mark, seen.size()).stream()
                    .filter(r -> r.getString("id").equals(later)).toList();
            assertTrue(after.size() >= 3, "start, rounds and end each sent a row: " + after);
            assertEquals("running", after.get(0).getString("state"));
            for (int i = 1; i < after.size(); i++) {
                assertTrue(after.get(i).getInteger("roundsDone") >= after.get(i - 1).getInteger("roundsDone"), after::toString);
            }
        } finally {
            stream.body().close();
        }
    }

    @Test
    void aDpSgdJobShowsTheEpsilonOfANodeInEveryRound() throws Exception {
        DashboardClient viewer = signedIn(CertificateRole.VIEWER);
        io.fedlora.proto.v1.JobConfig plain = Fixtures.config(2, 2, 2, 30);
        io.fedlora.proto.v1.JobConfig dp = plain.toBuilder().setTraining(plain.getTraining().toBuilder()
                .setDp(io.fedlora.proto.v1.DpSgdConfig.newBuilder().setNoiseMultiplier(1.1).setClipNorm(1)
                        .setSamplingRate(0.05).setDelta(1e-5))).build();
        String job = server.jobs().create(dp).jobId();
        server.startJob(job);
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job, Duration.ofSeconds(60)).getState());
        JsonObject detail = new JsonObject(viewer.get("/api/v1/jobs/" + job).body());
        double two = io.fedlora.coordinator.app.RecordDpBound.epsilon(dp, 2).orElseThrow();
        assertEquals(two, detail.getDouble("epsilonSpent"), 1e-12);
        assertEquals("record-level, a node in every round", detail.getString("epsilonKind"));
        JsonArray rounds = detail.getJsonArray("rounds");
        assertEquals(io.fedlora.coordinator.app.RecordDpBound.epsilon(dp, 1).orElseThrow(),
                rounds.getJsonObject(0).getDouble("cumulativeEpsilon"), 1e-12);
        assertEquals(two, rounds.getJsonObject(1).getDouble("cumulativeEpsilon"), 1e-12);
        // The live stream's rounds carry it too, so the chart needs no reload.
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            List<String[]> events = readEvents(viewer.stream("/api/v1/events?job=" + job));
            List<Double> live = events.stream().filter(e -> e[0].equals("round"))
                    .map(e -> new JsonObject(e[1]).getDouble("cumulativeEpsilon")).toList();
            assertEquals(2, live.size());
            assertEquals(two, live.get(1), 1e-12);
        });
    }

    /** Takes rows off the stream until one shows {@code jobId} in {@code state} with {@code done} rounds. */
    private static void awaitRow(java.util.concurrent.BlockingQueue<JsonObject> rows, List<JsonObject> seen, String jobId,
            String state, int done) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            JsonObject row = rows.poll(200, TimeUnit.MILLISECONDS);
            if (row == null) {
                continue;
            }
            seen.add(row);
            if (row.getString("id").equals(jobId) && row.getString("state").equals(state)
                    && row.getInteger("roundsDone") == done) {
                return;
            }
        }
        throw new AssertionError("no row of job " + jobId + " " + state + " with " + done + " rounds done; saw "
                + seen.stream().map(r -> r.getString("id").substring(0, 8) + ":" + r.getString("state") + ":"
                        + r.getInteger("roundsDone")).toList());
    }

    @Test
    void adminRevokesANodeAndItIsDisconnectedAndMarked() throws Exception {
        DashboardClient viewer = signedIn(CertificateRole.VIEWER);
        JsonArray nodes = new JsonObject(viewer.get("/api/v1/nodes").body()).getJsonArray("nodes");
        assertEquals(2, nodes.size());
        JsonObject a = nodes.getJsonObject(0);
        assertTrue(a.getBoolean("connected"));
        assertFalse(a.getBoolean("revoked"));
        assertTrue(a.getLong("certificateExpiry") > System.currentTimeMillis());
        assertEquals("cpu", a.getString("device"));
        String nodeId = a.getString("id");

        assertEquals(403, viewer.post("/api/v1/nodes/" + nodeId + "/revoke", "{\"reason\":\"lost laptop\"}").statusCode());
        DashboardClient admin = signedIn(CertificateRole.ADMIN);
        HttpResponse<String> r = admin.post("/api/v1/nodes/" + nodeId + "/revoke", "{\"reason\":\"lost laptop\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(new JsonObject(r.body()).getBoolean("wasConnected"));
        Fixtures.await("the revoked node to show as revoked and disconnected", Duration.ofSeconds(10), () -> {
            try {
                JsonObject n = new JsonObject(admin.get("/api/v1/nodes").body()).getJsonArray("nodes").stream()
                        .map(JsonObject.class::cast).filter(x -> x.getString("id").equals(nodeId)).findFirst().orElseThrow();
                return n.getBoolean("revoked") && !n.getBoolean("connected");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(404, admin.post("/api/v1/nodes/nobody/revoke", null).statusCode());
    }
}
