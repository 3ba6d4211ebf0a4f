package io.fedlora.deploy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.demo.ManyClientSimulation;
import io.fedlora.client.demo.ManyClientSimulation.Privacy;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulationArmProcessesTest {

    @TempDir
    Path dir;

    private static ManyClientSimulation.Settings tiny() {
        return new ManyClientSimulation.Settings(3, 1, 2, 4, 2e-2, 8, 20, 8, 1e-5, 8);
    }

    @Test
    void aResultSurvivesTheFileBetweenChildAndParent() throws Exception {
        ManyClientSimulation.Settings s = tiny();
        var plainRow = new ManyClientSimulation.RoundRow(1, 0.5, 1.2, 1.3, 4.5, 0, 2.5, Double.NaN, Double.NaN, 3.5);
        var plain = new ManyClientSimulation.Result(Privacy.NONE, s, 0.0, List.of(plainRow), null, 0, 10.5);
        var dpRow = new ManyClientSimulation.RoundRow(1, 0.25, 1.5, 1.4, 4.5, 2, 3.1, 8.0, 8.0, 3.6);
        var params = new DistributedDpParameters(6144, 20, 4.1e-7, 1.27, 3, 3, 32);
        var dp = new ManyClientSimulation.Result(Privacy.CLIENT_DP, s, 0.0, List.of(dpRow), params, 3, 11.0);
        for (ManyClientSimulation.Result r : List.of(plain, dp)) {
            Path f = dir.resolve(r.privacy() + ".json");
            SimulationArmProcesses.writeResult(r, f);
            assertEquals(r, SimulationArmProcesses.readResult(f));
        }
    }

    @Test
    void armNamesRoundTripAndAnUnknownOneIsRefused() {
        for (Privacy p : Privacy.values()) {
            assertEquals(p, SimulationArmProcesses.arm(SimulationArmProcesses.armName(p)));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> SimulationArmProcesses.arm("dp"));
        assertTrue(e.getMessage().contains("--sim-arm must be none or client-dp"), e.getMessage());
    }

    @Test
    void aChildThatFailsIsReportedWithItsLog() throws Exception {
        String savedHome = System.getProperty("fedlora.home");
        System.setProperty("fedlora.home", dir.resolve("no-such-home").toString()); // no model there
        try {
            var e = assertThrows(java.io.IOException.class,
                    () -> SimulationArmProcesses.run(tiny(), dir, new PrintStream(new ByteArrayOutputStream())));
            assertTrue(e.getMessage().contains("simulation run failed (exit code"), e.getMessage());
            assertTrue(e.getMessage().contains(dir.resolve("client-sim-none.log").toString()), e.getMessage());
        } finally {
            restore(savedHome);
        }
    }

    private static void restore(String savedHome) {
        if (savedHome == null) {
            System.clearProperty("fedlora.home");
        } else {
            System.setProperty("fedlora.home", savedHome);
        }
    }

    /** Two real child JVMs, each training three clients for one round on the shipped model. */
    @Test
    void bothRunsTrainInTheirOwnProcessesAndReportBack() throws Exception {
        String savedHome = System.getProperty("fedlora.home");
        System.setProperty("fedlora.home", Path.of("").toAbsolutePath().toString());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ManyClientSimulation.Comparison c = SimulationArmProcesses.run(tiny(), dir, out);
            assertEquals(Privacy.NONE, c.nonPrivate().privacy());
            assertEquals(tiny(), c.nonPrivate().settings()); // every setting reached the children
            assertEquals(tiny(), c.clientDp().settings());
            assertEquals(Privacy.CLIENT_DP, c.clientDp().privacy());
            assertEquals(1, c.nonPrivate().rounds().size());
            assertEquals(1, c.clientDp().rounds().size());
            assertTrue(c.clientDp().finalEpsilon() > 0 && c.clientDp().finalEpsilon() <= 8 + 1e-9,
                    "epsilon " + c.clientDp().finalEpsilon());
            assertEquals(3, c.clientDp().parameters().noiseClients());
        } finally {
            restore(savedHome);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("non-private round 1/1: held-out exact match"), printed);
        assertTrue(printed.contains("client-level DP round 1/1: held-out exact match"), printed);
    }
}
