package io.fedlora.deploy.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard pages in headless Chromium, against their own files served as the coordinator serves
 * them and a fixed set of API answers: what each role is shown, the CSRF token on every state change,
 * live updates from server-sent events, the one-time enrollment token, accessibility (axe-core).
 */
class DashboardPagesTest {

    private static PagesOnlyServer server;
    private static HeadlessChromium browser;

    @BeforeAll
    static void start() throws Exception {
        browser = HeadlessChromium.start(Path.of("target", "chromium-pages-test"));
        server = new PagesOnlyServer();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void signedOut() {
        browser.open(server.url("/login"));
        browser.driver().manage().deleteAllCookies();
        browser.open("about:blank");
    }

    private void signIn(String role) {
        browser.open(server.url("/login#token=" + role + "-token"));
        browser.await(By.cssSelector("#jobs tr[data-job='job-1']"));
        assertEquals(role, browser.await(By.id("who-role")).getText());
        assertTrue(!browser.driver().getCurrentUrl().contains("token"), "the token left the address bar");
    }

    private void awaitLive() {
        new WebDriverWait(browser.driver(), HeadlessChromium.WAIT)
                .until(ExpectedConditions.attributeToBe(By.id("live"), "data-state", "live"));
    }

    @Test
    void aViewerSeesRoundsArriveLiveAndNoActions() throws Exception {
        signIn("viewer");
        browser.screenshot("pages-jobs");
        AxeCheck.assertNoSeriousViolations(browser, "jobs");
        browser.open(server.url("/job/?id=job-1"));
        browser.await(By.cssSelector("#rounds tr[data-round='2']"));
        assertEquals(0, browser.driver().findElements(By.cssSelector("#actions button")).size(), "a viewer has no actions");
        assertEquals("2 of 10", browser.await(By.id("job-rounds")).getText());
        assertEquals("", browser.await(By.id("status")).getText(), "no error on the page");
        assertEquals(1, browser.driver().findElements(By.cssSelector(".live")).size());
        awaitLive();
        server.push("round", DashboardFixture.round(3, "0.6012", "0.55", "1.81").replace('\n', ' '));
        String row = browser.await(By.cssSelector("#rounds tr[data-round='3']")).getText();
        assertTrue(row.contains("node-4 (masked-input)") && row.contains("0.6012"), row);
        assertTrue(browser.driver().findElements(By.cssSelector("#chart-loss svg")).size() > 0, "the charts are drawn");
        browser.screenshot("pages-job");
        AxeCheck.assertNoSeriousViolations(browser, "job");
    }

    @Test
    void anOperatorPausesWithTheCsrfToken() {
        signIn("operator");
        browser.open(server.url("/job/?id=job-1"));
        browser.await(By.cssSelector("#actions button[data-action='pause']")).click();
        browser.awaitStatus("pause accepted");
        List<PagesOnlyServer.Posted> pauses = server.posted().stream()
                .filter(p -> p.path().equals("/api/v1/jobs/job-1/pause")).toList();
        assertEquals(1, pauses.size(), server.posted().toString());
        assertEquals("csrf-operator", pauses.get(0).csrf());
    }

    @Test
    void anAdminRevokesANodeAndSeesAnEnrollmentTokenOnce() throws Exception {
        signIn("admin");
        browser.open(server.url("/nodes/"));
        String row = browser.await(By.cssSelector("#nodes tr[data-node='node-1']")).getText();
        assertTrue(row.contains("hospital-a") && row.contains("cuda") && row.contains("triage-notes: 1.25"), row);
        browser.await(By.cssSelector("button[data-revoke='node-3']")).click();
        new WebDriverWait(browser.driver(), HeadlessChromium.WAIT).until(ExpectedConditions.alertIsPresent()).accept();
        browser.awaitStatus("revoked");
        PagesOnlyServer.Posted revoke = server.posted().stream()
                .filter(p -> p.path().equals("/api/v1/nodes/node-3/revoke")).findFirst().orElseThrow();
        assertEquals("csrf-admin", revoke.csrf());
        assertTrue(revoke.body().contains("\"reason\""), revoke.body());
        browser.await(By.id("enroll-name")).sendKeys("clinic-d");
        browser.await(By.id("enroll-create")).click();
        assertEquals("enroll-once-7f3a", browser.await(By.id("enroll-token")).getText());
        browser.screenshot("pages-nodes");
        AxeCheck.assertNoSeriousViolations(browser, "nodes");
        browser.open(server.url("/nodes/"));
        browser.await(By.cssSelector("#nodes tr[data-node='node-1']"));
        assertTrue(browser.driver().findElements(By.id("enroll-token")).isEmpty(), "the token is shown only once");
    }

    @Test
    void aViewerHasNoRevokeButtonNorEnrollmentForm() {
        signIn("viewer");
        browser.open(server.url("/nodes/"));
        browser.await(By.cssSelector("#nodes tr[data-node='node-1']"));
        assertTrue(browser.driver().findElements(By.cssSelector("button[data-revoke]")).isEmpty());
        assertTrue(!browser.driver().findElement(By.id("enroll")).isDisplayed());
    }

    @Test
    void theAuditLogShowsTheChainAndTheJobLogFollowsLive() throws Exception {
        signIn("viewer");
        browser.open(server.url("/audit/"));
        assertEquals("true", browser.await(By.id("chain-result")).getAttribute("data-valid"));
        assertTrue(browser.await(By.id("page-info")).getText().contains("3 records"));
        browser.screenshot("pages-audit");
        AxeCheck.assertNoSeriousViolations(browser, "audit");
        browser.open(server.url("/log/?job=job-1"));
        browser.await(By.cssSelector("#log li:nth-child(3)"));
        awaitLive();
        server.push("log", "{\"time\":\"2026-12-07T06:02:40Z\",\"level\":\"INFO\",\"message\":\"round 2: published adapter v2\"}");
        assertTrue(browser.await(By.cssSelector("#log li:nth-child(4)")).getText().contains("published adapter v2"));
        browser.screenshot("pages-log");
        AxeCheck.assertNoSeriousViolations(browser, "log");
    }

    @Test
    void anUnknownTokenIsRefusedOnTheLoginPage() throws Exception {
        browser.open(server.url("/login#token=nobody"));
        browser.awaitStatus("used, expired or unknown");
        browser.screenshot("pages-login");
        AxeCheck.assertNoSeriousViolations(browser, "login");
    }

    @Test
    void signedOutPagesSendTheBrowserToSignIn() {
        browser.open(server.url("/nodes/"));
        browser.awaitStatus("Your session has ended");
        assertTrue(browser.driver().getCurrentUrl().contains("/login"), browser.driver().getCurrentUrl());
    }
}
