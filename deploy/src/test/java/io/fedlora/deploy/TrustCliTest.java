package io.fedlora.deploy;

import static io.fedlora.deploy.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trust commands as an operator types them, against a coordinator on a real TLS port. */
class TrustCliTest {

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private String target;
    private String adminCreds;
    private String ca;

    @BeforeEach
    void start() throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir.resolve("data")).host("127.0.0.1").port(0).build());
        target = "127.0.0.1:" + server.port();
        adminCreds = dir.resolve("data/pki/admin").toString();
        ca = dir.resolve("data/pki/ca.crt").toString();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void dashboardLoginPrintsAOneTimeLinkOnceAndAuditsItWithoutTheToken() throws Exception {
        CliRun r = run("admin", "dashboard-login", "--coordinator", target, "--credentials", adminCreds, "--name",
                "alice", "--role", "operator", "--ttl", "10m");
        assertEquals(0, r.exit(), r.err());
        String link = r.out().strip();
        String prefix = server.dashboardUrl().orElseThrow() + "login#token=";
        assertTrue(link.startsWith(prefix), link);
        String token = link.substring(prefix.length());
        var grant = server.dashboardLogins().redeem(token);
        assertEquals("alice", grant.name());
        assertEquals(io.fedlora.crypto.pki.CertificateRole.OPERATOR, grant.role());
        var audit = server.auditLog(0, 1000);
        assertTrue(audit.stream().anyMatch(a -> a.action().equals("TrustAdminService/CreateDashboardLogin")
                && a.outcome().equals("OK") && a.target().contains("name=alice")), audit::toString);
        assertTrue(audit.stream().noneMatch(a -> (a.target() + a.detail()).contains(token)));
    }

    @Test
    void anOperatorIsEnrolledWithATokenActsWithinItsRoleAndCanBeRevoked() throws Exception {
        CliRun token = run("admin", "enroll-token", "--coordinator", target, "--credentials", adminCreds, "--name",
                "vera", "--role", "viewer", "--ttl", "10m");
        assertEquals(0, token.exit(), token.err());
        String t = token.out().strip();
        assertTrue(t.startsWith("flt1.") && !t.contains("\n"), "only the token on stdout: " + token.out());
        assertTrue(token.err().contains("not shown again") && token.err().contains("sha256"), token.err());

        Path tokenFile = dir.resolve("vera.token");
        Files.writeString(tokenFile, t + "\n");
        Path veraDir = dir.resolve("vera");
        CliRun enrolled = run("enroll", "--coordinator", target, "--token-file", tokenFile.toString(), "--name", "vera",
                "--ca-cert", ca, "--out", veraDir.toString());
        assertEquals(0, enrolled.exit(), enrolled.err());
        assertTrue(Files.exists(veraDir.resolve("client.key")));

        CliRun reuse = run("enroll", "--coordinator", target, "--token", t, "--name", "vera", "--ca-cert", ca, "--out",
                dir.resolve("again").toString());
        assertEquals(3, reuse.exit());
        assertTrue(reuse.err().contains("UNAUTHENTICATED") && reuse.err().contains("already been used"), reuse.err());

        assertEquals(0, run("admin", "nodes", "--coordinator", target, "--credentials", veraDir.toString()).exit());
        CliRun denied = run("admin", "certificates", "--coordinator", target, "--credentials", veraDir.toString());
        assertEquals(3, denied.exit());
        assertTrue(denied.err().contains("PERMISSION_DENIED"), denied.err());

        CliRun certs = run("admin", "certificates", "--coordinator", target, "--credentials", adminCreds);
        assertTrue(certs.out().contains("vera") && certs.out().contains("viewer"), certs.out());
        CliRun revoked = run("admin", "revoke", "vera", "--reason", "left the project", "--coordinator", target,
                "--credentials", adminCreds);
        assertEquals(0, revoked.exit(), revoked.err());
        CliRun after = run("admin", "nodes", "--coordinator", target, "--credentials", veraDir.toString());
        assertEquals(3, after.exit());

        CliRun audit = run("admin", "audit", "--coordinator", target, "--credentials", adminCreds);
        assertTrue(audit.out().contains("TrustAdminService/CreateEnrollmentToken"), audit.out());
        assertTrue(audit.out().contains("EnrollmentService/Enroll"), audit.out());
        assertTrue(audit.out().contains("TrustAdminService/Revoke") && audit.out().contains("left the project"),
                audit.out());
        assertFalse(audit.out().contains(t), "the token is never in the audit log");
    }

    @Test
    void auditVerifyNamesTheFirstEntryChangedInTheDatabase() throws Exception {
        for (String name : new String[] {"a", "b", "c"}) {
            assertEquals(0, run("admin", "enroll-token", "--coordinator", target, "--credentials", adminCreds,
                    "--name", name).exit());
        }
        CliRun ok = run("admin", "audit", "--verify", "--coordinator", target, "--credentials", adminCreds);
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertTrue(ok.out().contains("audit log intact: 3 entries"), ok.out());

        // Someone with the database file rewrites who created the second token.
        long second;
        try (var c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("data/fedlora").toAbsolutePath()
                + ";DB_CLOSE_ON_EXIT=FALSE", "fedlora", ""); var st = c.createStatement()) {
            try (var rs = st.executeQuery("SELECT seq FROM audit_log ORDER BY seq LIMIT 1 OFFSET 1")) {
                rs.next();
                second = rs.getLong(1);
            }
            st.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = " + second);
        }
        CliRun broken = run("admin", "audit", "--verify", "--coordinator", target, "--credentials", adminCreds);
        assertEquals(1, broken.exit(), broken.out() + broken.err());
        assertTrue(broken.out().contains("BROKEN at entry " + second + ": entry " + second + " was changed"),
                broken.out());
    }

    @Test
    void adminCommandsNeedCredentials() {
        CliRun r = run("admin", "nodes", "--coordinator", target);
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--credentials") && r.err().contains("pki/admin"), r.err());
        CliRun help = run("admin", "--help");
        assertTrue(help.out().contains("DATA_DIR/pki/admin"), help.out());
    }
}
