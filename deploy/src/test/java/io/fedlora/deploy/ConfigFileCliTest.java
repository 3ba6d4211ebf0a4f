package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --config FILE}: every problem at once, each with its key and FILE:LINE, and no secret repeated. */
class ConfigFileCliTest {

    private static final String SECRET = "hunter2-not-for-logs";

    @TempDir
    Path dir;

    private Path file(String text) throws Exception {
        return Files.writeString(dir.resolve("settings.properties"), text);
    }

    @Test
    void theCoordinatorReportsEveryProblemOfItsFileAtOnce() throws Exception {
        Path f = file("# a comment\nport = abc\ndashbord.port = 7443\nclient-cert-days = 0\n");
        CliRun r = CliRun.run("coordinator", "--config", f.toString(), "--dashboard-port", "99999");
        assertEquals(2, r.exit(), r.err());
        String err = r.err();
        assertTrue(err.contains("5 problems"), err);
        assertTrue(err.contains(f + ":3: unknown key 'dashbord.port'"), err);
        assertTrue(err.contains("port: must be a port number, got 'abc' (" + f + ":2)"), err);
        assertTrue(err.contains("dashboard.port: must be a port number in 0..65535, got '99999' (flag --dashboard-port)"),
                err);
        assertTrue(err.contains("client-cert-days: must be 1..3650 days, got '0' (" + f + ":4)"), err);
        assertTrue(err.contains("data-dir: required; set --data-dir, FEDLORA_DATA_DIR"), err);
    }

    @Test
    void aStorePasswordInTheFileIsNeverRepeated() throws Exception {
        Path pw = Files.writeString(dir.resolve("pw"), SECRET);
        Path f = file("data-dir = " + dir.resolve("data") + "\nstore.password = " + SECRET + "\n");
        CliRun twice = CliRun.run("coordinator", "--config", f.toString(), "--port", "0", "--store",
                "jdbc:postgresql://127.0.0.1:1/fedlora", "--store-password-file", pw.toString());
        assertEquals(2, twice.exit(), twice.err());
        assertTrue(twice.err().contains("the store password is given twice"), twice.err());
        CliRun noStore = CliRun.run("coordinator", "--config", f.toString(), "--port", "0");
        assertTrue(noStore.err().contains("go with --store"), noStore.err());
        assertFalse((twice.out() + twice.err() + noStore.out() + noStore.err()).contains(SECRET));
    }

    @Test
    void theClientReportsEveryProblemAndNoToken() throws Exception {
        Path f = file("coordinator = 127.0.0.1:1\nmin-secure-cohort = 2\nenroll-token = " + SECRET + "!\n"
                + "renew-before = soon\n");
        CliRun r = CliRun.run("client", "--config", f.toString(), "--model", "models/fedlora-tiny");
        assertEquals(2, r.exit(), r.err());
        String err = r.err();
        assertTrue(err.contains("min-secure-cohort: must be at least 3 (SecAgg+ needs 3 clients), got '2' (" + f + ":2)"),
                err);
        assertTrue(err.contains("enroll-token: an enrollment token is 1-128 characters of [A-Za-z0-9._-] (" + f + ":3)"),
                err);
        assertTrue(err.contains("renew-before: must be a percentage such as 33% or a time such as 30d, got 'soon'"), err);
        assertTrue(err.contains("data: required") && err.contains("state-dir: required"), err);
        assertFalse(err.contains(SECRET), err);
    }

    @Test
    void aJobFileAndFlagsMakeTheJobAndAFlagWins() throws Exception {
        Path f = file("model = models/fedlora-tiny\nname = notes\nrounds = 3\nstrategy = fedyogi\ntau = 1e-4\n"
                + "dp-noise-multiplier = 1.1\n");
        CliRun r = CliRun.run("admin", "job-config", "--config", f.toString(), "--rounds", "7");
        assertEquals(0, r.exit(), r.err());
        com.google.gson.JsonObject job = com.google.gson.JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("notes", job.get("name").getAsString());
        assertEquals(7, job.get("rounds").getAsInt());
        assertEquals("STRATEGY_FEDYOGI", job.get("strategy").getAsString());
        assertEquals(1e-4, job.getAsJsonObject("strategyOptions").get("tau").getAsDouble());
        assertEquals(1.1, job.getAsJsonObject("training").getAsJsonObject("dp").get("noiseMultiplier").getAsDouble());
    }

    @Test
    void aJobFileWithMistakesIsRefusedWithEveryProblemBeforeAnythingIsSent() throws Exception {
        Path f = file("model = models/fedlora-tiny\nrounds = many\nstrategy = sgd\nrank: 8\nrnk = 8\n");
        CliRun r = CliRun.run("admin", "create-job", "--config", f.toString(), "--coordinator", "127.0.0.1:1");
        assertEquals(2, r.exit(), r.err());
        String err = r.err();
        assertTrue(err.contains("4 problems"), err);
        assertTrue(err.contains("rounds: must be an integer, got 'many' (" + f + ":2)"), err);
        assertTrue(err.contains("strategy: must be one of fedavg|fedavgm|fedadagrad|fedadam|fedyogi, got 'sgd' (" + f
                + ":3)"), err);
        assertTrue(err.contains(f + ":4: expected 'key = value'"), err);
        assertTrue(err.contains(f + ":5: unknown key 'rnk'"), err);

        // Values that parse but that the coordinator would refuse are refused here, before any call.
        Path g = file("model = models/fedlora-tiny\nrounds = 0\nmin-clients = 9\n");
        CliRun refused = CliRun.run("admin", "create-job", "--config", g.toString(), "--coordinator", "127.0.0.1:1");
        assertEquals(2, refused.exit(), refused.err());
        assertTrue(refused.err().contains("rounds: must be >= 1, got 0"), refused.err());
        assertTrue(refused.err().contains("clients_per_round: must be >= min_clients (9)"), refused.err());
    }
}
