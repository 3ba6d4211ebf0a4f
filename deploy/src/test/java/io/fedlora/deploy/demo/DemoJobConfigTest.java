package io.fedlora.deploy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.model.LlamaConfig;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.rounds.SecureRoundSetup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every client count the demo accepts gives a job the coordinator takes; smaller ones are refused before anything runs. */
class DemoJobConfigTest {

    private static final Path HOME = Path.of("").toAbsolutePath();

    private static JobConfig jobConfig(int clients, DemoRunner.Privacy privacy) throws Exception {
        var settings = new DemoRunner.Settings(HOME, HOME.resolve("target/demo-config-test"), clients, 2,
                privacy != DemoRunner.Privacy.NONE, privacy);
        var runner = new DemoRunner(settings, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        return runner.jobConfig(LlamaConfig.readDir(HOME.resolve("models/fedlora-tiny")), "0".repeat(64));
    }

    @Test
    void everyAcceptedClientCountMakesAJobTheCoordinatorTakes() throws Exception {
        for (int clients = SecureRoundSetup.MIN_COHORT; clients <= 8; clients++) {
            for (DemoRunner.Privacy privacy : DemoRunner.Privacy.values()) {
                List<String> problems = SecureRoundSetup.problems(jobConfig(clients, privacy));
                assertEquals(List.of(), problems, clients + " clients, privacy " + privacy);
            }
        }
    }

    @Test
    void threeClientsMayNotLoseOne() throws Exception {
        JobConfig job = jobConfig(3, DemoRunner.Privacy.NONE);
        assertEquals(3, job.getMinClients());
        assertEquals(3, job.getClientsPerRound());
        assertEquals(4, jobConfig(5, DemoRunner.Privacy.NONE).getMinClients());
    }

    @Test
    void tooFewClientsAreRefusedWithTheReason() {
        var e = assertThrows(IllegalArgumentException.class, () -> jobConfig(2, DemoRunner.Privacy.NONE));
        assertTrue(e.getMessage().contains("--clients must be at least 3")
                && e.getMessage().contains("secure aggregation needs cohorts of at least 3, got 2"), e.getMessage());
    }
}
