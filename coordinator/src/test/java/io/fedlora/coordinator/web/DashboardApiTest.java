package io.fedlora.coordinator.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.store.AuditRecord;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.JobState;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API over real HTTPS (TLS 1.3, certificate from the coordinator's CA), with a real store. */
class DashboardApiTest {

    @TempDir
    Path dir;

    private final Fixtures.OffsetClock clock = new Fixtures.OffsetClock();
    private CoordinatorServer server;
    private String jobId;

    @BeforeEach
    void start() throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).port(0).insecurePlaintext(true).clock(clock)
                .build());
        jobId = server.jobs().create(Fixtures.config(3, 2, 2, 30)).jobId();
        server.startJob(jobId);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private DashboardClient signedIn(CertificateRole role) throws Exception {
        DashboardClient c = new DashboardClient(server.dashboardUrl().orElseThrow(), server.caCertificateFile().orElseThrow());
        HttpResponse<String> r = c.signIn(server.dashboardLoginLink("alice-" + role.label(), role, Duration.ofMinutes(5)));
        assertEquals(200, r.statusCode(), r.body());
        return c;
    }

    private JobState storedState() {
        return server.jobs().get(jobId).state();
    }

    @Test
    void healthzAnswersWithoutSignIn() throws Exception {
        DashboardClient c = new DashboardClient(server.dashboardUrl().orElseThrow(), server.caCertificateFile().orElseThrow());
        HttpResponse<String> r = c.get("/healthz");
        assertEquals(200, r.statusCode());
        assertEquals("SERVING", r.body());
    }

    @Test
    void healthzIs503WhenTheStoreIsUnavailable() throws Exception {
        DashboardClient c = new DashboardClient(server.dashboardUrl().orElseThrow(), server.caCertificateFile().orElseThrow());
        server.store().close();
        HttpResponse<String> r = c.get("/healthz");
        assertEquals(503, r.statusCode());
        assertEquals("NOT_SERVING", r.body());
    }

    @Test
    void signInSetsAStrictCookieAndTheTokenWorksOnce() throws Exception {
        DashboardClient c = new DashboardClient(server.dashboardUrl().orElseThrow(), server.caCertificateFile().orElseThrow());
        String link = server.dashboardLoginLink("alice", CertificateRole.VIEWER, Duration.ofMinutes(5));
        assertTrue(link.startsWith(server.dashboardUrl().orElseThrow() + "login#token="), link);
        HttpResponse<String> r = c.signIn(link);
        assertEquals(200, r.statusCode(), r.body());
        String setCookie = r.headers().firstValue("set-cookie").orElseThrow();
        assertTrue(setCookie.toLowerCase(java.util.Locale.ROOT).contains("httponly") && setCookie.contains("Secure") && setCookie.contains("SameSite=Strict")
                && setCookie.contains("Path=/"), setCookie);
        JsonObject s = new JsonObject(r.body());
        assertEquals("alice", s.getString("name"));
        assertEquals("viewer", s.getString("role"));
        JsonObject again0 = new JsonObject(c.get("/api/v1/session").body());
        assertEquals(s.getString("csrfToken"), again0.getString("csrfToken"));
        assertEquals("alice", again0.getString("name"));

        DashboardClient again = new DashboardClient(server.dashboardUrl().orElseThrow(), server.caCertificateFile().orElseThrow());
        assertEquals(401, again.signIn(link).statusCode());

        assertEquals(204, c.delete("/api/v1/session").statusCode());
        assertEquals(401, c.get("/api/v1/jobs").statusCode());
    }

    @Test
    void withoutSessionOrAfterExpiryItIs401() throws Exception {
        DashboardClient anonymous = new DashboardClient(server.dashboardUrl().orElseThrow(),
                server.caCertificateFile().orElseThrow());
        HttpResponse<String> r = anonymous.get("/api/v1/jobs");
        assertEquals(401, r.statusCode());
        assertEquals(401, new JsonObject(r.body()).getJsonObject("error").getInteger("status"));

        DashboardClient c = signedIn(CertificateRole.VIEWER);
        assertEquals(200, c.get("/api/v1/jobs").statusCode());
        clock.advance(Duration.ofMinutes(31));
        assertEquals(401, c.get("/api/v1/jobs").statusCode());
    }

    @Test
    void listsAndShowsJobs() throws Exception {
        DashboardClient c = signedIn(CertificateRole.VIEWER);
        JsonObject list = new JsonObject(c.get("/api/v1/jobs").body());
        JsonObject job = list.getJsonArray("jobs").getJsonObject(0);
        assertEquals(jobId, job.getString("id"));
        assertEquals("running", job.getString("state"));
        assertEquals(3, job.getInteger("rounds"));
        assertEquals("exact", job.getString("aggregation"));
        assertEquals("fedavg", job.getString("strategy"));
        assertFalse(job.getJsonObject("secagg").getBoolean("enabled"));

        JsonObject detail = new JsonObject(c.get("/api/v1/jobs/" + jobId).body());
        assertEquals(List.of("download"), detail.getJsonArray("actions").getList());
        assertEquals(0, detail.getJsonArray("versions").getJsonObject(0).getInteger("version"));

        HttpResponse<String> missing = c.get("/api/v1/jobs/no-such-job");
        assertEquals(404, missing.statusCode());
        assertEquals("job_id", new JsonObject(missing.body()).getJsonObject("error").getString("field"));
    }

    @Test
    void aJobThatCannotRunAfterARestartShowsFailedWithTheReason() throws Exception {
        String sha = server.jobs().get(jobId).latestSha256();
        server.close();
        Files.delete(dir.resolve("blobs").resolve(sha));
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).port(0).insecurePlaintext(true).clock(clock)
                .build());
        Fixtures.await("the job failed", Duration.ofSeconds(10), () -> storedState() == JobState.JOB_STATE_FAILED);
        JsonObject detail = new JsonObject(signedIn(CertificateRole.VIEWER).get("/api/v1/jobs/" + jobId).body());
        assertEquals("failed", detail.getString("state"));
        assertEquals("cannot start: adapter version 0 (sha256 " + sha.substring(0, 8) + "…) is missing from the blob"
                + " store", detail.getString("failureReason"));
    }

    @Test
    void viewerCannotPauseAndTheRefusalIsAudited() throws Exception {
        DashboardClient c = signedIn(CertificateRole.VIEWER);
        HttpResponse<String> r = c.post("/api/v1/jobs/" + jobId + "/pause", null);
        assertEquals(403, r.statusCode(), r.body());
        assertEquals(JobState.JOB_STATE_RUNNING, storedState());
        assertTrue(audit().stream().anyMatch(a -> a.actor().equals("alice-viewer")
                && a.action().equals("AdminService/PauseJob") && a.outcome().equals("PERMISSION_DENIED")), audit()::toString);
    }

    @Test
    void operatorPausesAndResumesAndTheStoreShowsIt() throws Exception {
        DashboardClient c = signedIn(CertificateRole.OPERATOR);
        HttpResponse<String> paused = c.post("/api/v1/jobs/" + jobId + "/pause", null);
        assertEquals(200, paused.statusCode(), paused.body());
        assertEquals("paused", new JsonObject(paused.body()).getString("state"));
        assertEquals(JobState.JOB_STATE_PAUSED, storedState());
        assertEquals(409, c.post("/api/v1/jobs/" + jobId + "/pause", null).statusCode());
        assertEquals(200, c.post("/api/v1/jobs/" + jobId + "/resume", null).statusCode());
        assertEquals(JobState.JOB_STATE_RUNNING, storedState());
        assertTrue(audit().stream().anyMatch(a -> a.actor().equals("alice-operator")
                && a.action().equals("AdminService/PauseJob") && a.outcome().equals("OK")));
    }

    @Test
    void aChangeWithoutTheCsrfTokenIs403AndChangesNothing() throws Exception {
        DashboardClient c = signedIn(CertificateRole.OPERATOR);
        HttpResponse<String> r = c.postWithoutCsrf("/api/v1/jobs/" + jobId + "/pause", null);
        assertEquals(403, r.statusCode());
        assertTrue(r.body().contains("X-CSRF-Token"), r.body());
        assertEquals(JobState.JOB_STATE_RUNNING, storedState());
    }

    @Test
    void malformedJsonIs400NamingTheProblem() throws Exception {
        DashboardClient c = signedIn(CertificateRole.ADMIN);
        HttpResponse<String> r = c.post("/api/v1/enrollment-tokens", "{\"name\": ");
        assertEquals(400, r.statusCode());
        JsonObject e = new JsonObject(r.body()).getJsonObject("error");
        assertEquals("body", e.getString("field"));
        assertTrue(e.getString("message").contains("malformed JSON"), e.getString("message"));

        HttpResponse<String> badField = c.post("/api/v1/enrollment-tokens", "{\"name\": 7}");
        assertEquals(400, badField.statusCode());
        assertEquals("name", new JsonObject(badField.body()).getJsonObject("error").getString("field"));
    }

    @Test
    void adminCreatesAnEnrollmentTokenShownOnceAndReadsTheAudit() throws Exception {
        DashboardClient c = signedIn(CertificateRole.ADMIN);
        HttpResponse<String> r = c.post("/api/v1/enrollment-tokens", "{\"name\":\"hospital-a\",\"ttlSeconds\":600}");
        assertEquals(201, r.statusCode(), r.body());
        String token = new JsonObject(r.body()).getString("token");
        assertTrue(token.startsWith("flt1."));
        JsonObject audit = new JsonObject(c.get("/api/v1/audit?size=100").body());
        assertTrue(audit.getBoolean("chainValid"));
        assertFalse(audit.encode().contains(token), "the audit must not carry the token");
        assertTrue(audit.getLong("total") >= 2);
    }

    @Test
    void openApiIsServed() throws Exception {
        DashboardClient c = new DashboardClient(server.dashboardUrl().orElseThrow(), server.caCertificateFile().orElseThrow());
        HttpResponse<String> r = c.get("/api/v1/openapi.json");
        assertEquals(200, r.statusCode());
        assertEquals("3.0.3", new JsonObject(r.body()).getString("openapi"));
        assertEquals(200, c.get("/").statusCode());
    }

    private List<AuditRecord> audit() {
        return server.auditLog(0, 10_000);
    }
}
