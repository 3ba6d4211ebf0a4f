package io.fedlora.deploy;

import static io.fedlora.deploy.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.deploy.web.AxeCheck;
import io.fedlora.deploy.web.HeadlessChromium;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in Debian's headless Chromium against a real coordinator (mutual TLS for the agents,
 * HTTPS for the browser) and four real agents running a long secure job: a viewer watches rounds
 * arrive live and is refused a forged pause; an operator pauses and resumes from the page and the
 * store shows it ({@code fedlora admin job}); an admin revokes a node from the page and the next round
 * goes on without it. Every page is screenshotted into target/screenshots; axe checks each one.
 */
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserIT {

    /** Five, so that with one revoked the other four still form a cohort that tolerates a dropout. */
    private static final int AGENTS = 5;

    private Path dir;
    private TlsFederationFixture federation;
    private CoordinatorServer server;
    private HeadlessChromium browser;
    private String job;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("dashboard-it");
        browser = HeadlessChromium.start(dir.resolve("chromium"));
        federation = TlsFederationFixture.start(dir);
        server = federation.server();
        for (int i = 0; i < AGENTS; i++) {
            String name = "hospital-" + i;
            federation.startAgent(federation.enrolledAgent(name, federation.enrollmentToken(name, "agent")).build(),
                    new SteadyTrainer());
        }
        JobConfig config = TinyFederation.secureJob("ward-notes", 10_000, AGENTS, AGENTS - 1).build();
        job = admin().createJob(CreateJobRequest.newBuilder().setConfig(config).build()).getJobId();
        admin().startJob(ref());
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (federation != null) {
            federation.close();
        }
    }

    @BeforeEach
    void signedOut() {
        if (browser.driver().getCurrentUrl().startsWith("https:")) {
            browser.driver().manage().deleteAllCookies();
        }
        browser.open("about:blank");
    }

    private AdminServiceGrpc.AdminServiceBlockingStub admin() {
        return AdminServiceGrpc.newBlockingStub(federation.admin());
    }

    private JobRef ref() {
        return JobRef.newBuilder().setJobId(job).build();
    }

    private String url(String path) {
        return server.dashboardUrl().orElseThrow().replaceAll("/$", "") + path;
    }

    private void signIn(String name, CertificateRole role) {
        browser.open(server.dashboardLoginLink(name, role, Duration.ofMinutes(5)));
        browser.await(By.cssSelector("#jobs tr[data-job='" + job + "']"));
        assertEquals(role.label(), browser.await(By.id("who-role")).getText());
    }

    private void openJob() {
        browser.open(url("/job/?id=" + job));
        browser.await(By.cssSelector("#rounds tr[data-round]"));
        new WebDriverWait(browser.driver(), HeadlessChromium.WAIT)
                .until(ExpectedConditions.attributeToBe(By.id("live"), "data-state", "live"));
    }

    /** Read in the page in one step: the rows are redrawn as rounds arrive. */
    private int newestRoundShown() {
        Object round = browser.script("const r = document.querySelector('#rounds tbody tr'); return r ? r.dataset.round : '0';");
        return Integer.parseInt(String.valueOf(round));
    }

    private JobState storedState() {
        return admin().getJob(ref()).getState();
    }

    /** What {@code fedlora admin job --job ID} prints, as the local admin (it writes to System.out itself). */
    private String adminJobCommand() {
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        CliRun r;
        synchronized (System.class) {
            System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                r = run("admin", "job", "--job", job, "--coordinator", "127.0.0.1:" + server.port(), "--credentials",
                        server.adminCredentialsDir().orElseThrow().toString());
            } finally {
                System.setOut(stdout);
            }
        }
        assertEquals(0, r.exit(), r.err());
        return r.out() + printed.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    @Order(1)
    void aViewerSeesRoundsArriveLiveAndIsRefusedAForgedPause() throws Exception {
        signIn("vera", CertificateRole.VIEWER);
        // The jobs list follows every job on one stream: the row's round count moves while the page is open.
        String roundsCell = "return document.querySelector(\"#jobs tr[data-job='" + job + "'] td:nth-child(3)\").textContent;";
        String listed = String.valueOf(browser.script(roundsCell));
        await("the jobs list shows a new round without a reload", () -> !String.valueOf(browser.script(roundsCell))
                .equals(listed));
        browser.screenshot("jobs");
        AxeCheck.assertNoSeriousViolations(browser, "jobs");
        openJob();
        int first = newestRoundShown();
        await("a round completes while the page is open", () -> newestRoundShown() > first);
        // The nodes' held-out score of the version each round started from, from inside the masked sums.
        String heldOut = browser.await(By.id("job-eval")).getText();
        assertTrue(heldOut.matches("\\d+\\.\\d% \\(v\\d+\\)"), "held-out exact match shown: " + heldOut);
        assertTrue(browser.driver().findElements(By.cssSelector("#actions button")).isEmpty(), "a viewer has no actions");
        browser.screenshot("job");
        AxeCheck.assertNoSeriousViolations(browser, "job");

        Object status = browser.asyncScript("""
                const done = arguments[arguments.length - 1];
                const jobId = arguments[0];
                fetch('/api/v1/session').then((r) => r.json())
                  .then((s) => fetch('/api/v1/jobs/' + jobId + '/pause', { method: 'POST',
                    headers: { 'X-CSRF-Token': s.csrfToken, 'Content-Type': 'application/json' }, body: '{}' }))
                  .then((r) => done(r.status)).catch((e) => done(String(e)));
                """, job);
        assertEquals(403L, status);
        assertEquals(JobState.JOB_STATE_RUNNING, storedState());
    }

    @Test
    @Order(2)
    void anOperatorPausesAndResumesFromThePage() throws Exception {
        signIn("otto", CertificateRole.OPERATOR);
        openJob();
        browser.await(By.cssSelector("#actions button[data-action='pause']")).click();
        browser.awaitStatus("pause accepted");
        assertEquals(JobState.JOB_STATE_PAUSED, storedState());
        String paused = adminJobCommand();
        assertTrue(paused.contains("JOB_STATE_PAUSED"), paused);
        browser.await(By.cssSelector("#actions button[data-action='resume']")).click();
        browser.awaitStatus("resume accepted");
        assertEquals(JobState.JOB_STATE_RUNNING, storedState());
        String running = adminJobCommand();
        assertTrue(running.contains("JOB_STATE_RUNNING"), running);
        assertTrue(browser.driver().findElements(By.cssSelector("#actions button[data-action='resume']")).isEmpty());
    }

    @Test
    @Order(3)
    void anAdminRevokesANodeAndTheNextRoundGoesOnWithoutIt() throws Exception {
        if (storedState() == JobState.JOB_STATE_PAUSED) {
            admin().resumeJob(ref()); // an earlier test stopped half-way: this one needs rounds
        }
        signIn("ada", CertificateRole.ADMIN);
        browser.open(url("/nodes/"));
        WebElement row = browser.await(By.xpath("//table[@id='nodes']//tr[th[contains(., 'hospital-3')]]"));
        String node = row.getAttribute("data-node");
        browser.screenshot("nodes");
        AxeCheck.assertNoSeriousViolations(browser, "nodes");
        browser.await(By.id("enroll-name")).sendKeys("hospital-9");
        browser.await(By.id("enroll-create")).click();
        assertTrue(browser.await(By.id("enroll-token")).getText().startsWith("flt1."), "a token, shown once");
        row = browser.await(By.cssSelector("tr[data-node='" + node + "']"));
        row.findElement(By.cssSelector("button[data-revoke]")).click();
        new WebDriverWait(browser.driver(), HeadlessChromium.WAIT).until(ExpectedConditions.alertIsPresent()).accept();
        browser.awaitStatus("revoked");
        assertEquals("true", browser.await(By.cssSelector("tr[data-node='" + node + "']")).getAttribute("data-revoked"));
        int revokedAfter = rounds().size();
        await("a round that started after the revocation completes", () -> rounds().stream()
                .anyMatch(r -> r.getRound() > revokedAfter + 1 && r.getState() == RoundState.ROUND_STATE_COMPLETED));
        RoundSummary next = rounds().stream().filter(r -> r.getRound() > revokedAfter + 1).findFirst().orElseThrow();
        assertFalse(next.getSelectedNodesList().contains(node), next.getSelectedNodesList() + " excludes " + node);
        assertEquals(AGENTS - 1, next.getContributingNodesCount());

        browser.open(url("/audit/"));
        browser.await(By.id("chain-result"));
        assertEquals("true", browser.await(By.id("chain-result")).getAttribute("data-valid"));
        browser.screenshot("audit");
        AxeCheck.assertNoSeriousViolations(browser, "audit");
        browser.open(url("/log/?job=" + job));
        // A recent round's line: the page shows the last 200 lines, which a long job's first rounds have left.
        browser.await(By.xpath("//*[@id='log']/li[contains(., 'round " + next.getRound() + ": selected')]"));
        browser.screenshot("log");
    }

    @Test
    @Order(4)
    void theLoginPageRefusesAUsedLink() throws Exception {
        String link = server.dashboardLoginLink("once", CertificateRole.VIEWER, Duration.ofMinutes(5));
        browser.open(link);
        browser.await(By.cssSelector("#jobs tr[data-job='" + job + "']"));
        browser.driver().manage().deleteAllCookies();
        browser.open("about:blank");
        browser.open(link);
        browser.awaitStatus("used, expired or unknown");
        browser.screenshot("login");
        AxeCheck.assertNoSeriousViolations(browser, "login");
    }

    private List<RoundSummary> rounds() {
        return admin().listRounds(ref()).getRoundsList();
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        Await.until(what, Duration.ofSeconds(60), cond);
    }

    /** Trains in about a second: rounds come steadily, so the page can be watched. */
    private static final class SteadyTrainer implements LocalTrainer {
        @Override
        public TrainOutcome train(TrainRequest req) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new TrainOutcome(TinyFederation.delta(req), 20, 0.5, 1, 0.01);
        }

        /** A held-out score that rises round by round, as a real one would. */
        @Override
        public java.util.Optional<io.fedlora.client.train.EvalResult> evaluate(TrainRequest req) {
            double em = Math.min(1.0, 0.1 * req.round());
            return java.util.Optional.of(new io.fedlora.client.train.EvalResult(em, (int) (em * 20), 20, 2.0 / req.round(),
                    100, 0));
        }
    }
}
