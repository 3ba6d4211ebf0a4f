package io.fedlora.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.demo.ManyClientSimulation;
import io.fedlora.crypto.privacy.DistributedDpCalibration;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.deploy.demo.ClientDpSimulationReport;
import io.fedlora.deploy.demo.DemoReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoPrivacyTableTest {

    private static DemoReport report(double epsilon, double em, double loss, double roundEpsilon) {
        return new DemoReport(4, 1, epsilon, 0, em, List.of(new DemoReport.Round(1, 4, loss, em, 10, 9, roundEpsilon)),
                12, Path.of("adapter"));
    }

    @Test
    void theTableComparesAllThreeRunsWithTheirEpsilon() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DemoCommand.printPrivacyTable(new PrintStream(bytes, true, StandardCharsets.UTF_8),
                report(Double.POSITIVE_INFINITY, 0.995, 0.1, Double.NaN), report(8.0, 0.865, 0.3, Double.NaN),
                report(7.99, 0.02, Double.NaN, 7.99), null);
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).startsWith("non-private") && lines.get(1).contains("99.5%") && lines.get(1).endsWith("100%"),
                lines.get(1));
        assertTrue(lines.get(2).contains("8.00 per example") && lines.get(2).contains("86.5%") && lines.get(2).endsWith("87%"),
                lines.get(2));
        assertTrue(lines.get(3).startsWith("client-level distributed DP") && lines.get(3).contains("7.99 per client")
                && lines.get(3).contains("2.0%") && lines.get(3).endsWith("2%"), lines.get(3));
    }

    private static ClientDpSimulationReport simulated() {
        ManyClientSimulation.Settings s = ManyClientSimulation.Settings.defaults().withClients(300).withRounds(2);
        DistributedDpParameters p = DistributedDpCalibration.calibrate(
                new DistributedDpCalibration.Target(8, 1e-5, 2), 6144, s.clip(), 300, 300, 32);
        var plain = new ManyClientSimulation.Result(ManyClientSimulation.Privacy.NONE, s, 0, List.of(
                new ManyClientSimulation.RoundRow(1, 0.3, 1, 1, 10, 0, 5, Double.NaN, Double.NaN, 60),
                new ManyClientSimulation.RoundRow(2, 0.8, 0.3, 0.4, 9, 0, 4, Double.NaN, Double.NaN, 60)), null, 0, 120);
        var dp = new ManyClientSimulation.Result(ManyClientSimulation.Privacy.CLIENT_DP, s, 0, List.of(
                new ManyClientSimulation.RoundRow(1, 0.25, 1, 1, 10, 300, 6, 5.5, 5.5, 60),
                new ManyClientSimulation.RoundRow(2, 0.76, 0.3, 0.4, 9, 280, 5, 5.5, 8.0, 60)), p, 150, 120);
        return new ClientDpSimulationReport(new ManyClientSimulation.Comparison(plain, dp), 240);
    }

    @Test
    void theSimulatedRowsComeLastAndAreComparedWithTheirOwnBaseline() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DemoCommand.printPrivacyTable(new PrintStream(bytes, true, StandardCharsets.UTF_8),
                report(Double.POSITIVE_INFINITY, 1.0, 0.1, Double.NaN), report(8.0, 0.895, 0.3, Double.NaN),
                report(8.0, 0.0, Double.NaN, 8.0), simulated());
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
        assertEquals(6, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(3).contains("4 client processes") && lines.get(3).endsWith("0%"), lines.get(3));
        assertTrue(lines.get(4).startsWith("non-private, 300 simulated clients") && lines.get(4).contains("80.0%")
                && lines.get(4).endsWith("100%"), lines.get(4));
        assertTrue(lines.get(5).startsWith("client-level distributed DP, 300 simulated clients")
                && lines.get(5).contains("8.00 per client") && lines.get(5).contains("76.0%")
                && lines.get(5).contains("95.0% (of the simulated non-private)"), lines.get(5));
        String json = simulated().toJson();
        assertTrue(json.contains("\"share_of_non_private\":0.9500") && json.contains("\"clients\":300")
                && json.contains("\"coordinator_noise_clients\":150") && json.contains("\"round_epsilon\":null"), json);
    }

    @Test
    void aLossThatWasNeverSentIsNullInJson() {
        String json = report(7.99, 0.02, Double.NaN, 7.99).toJson();
        assertTrue(json.contains("\"train_loss\":null"), json);
        assertTrue(json.contains("\"epsilon\":7.9900"), json);
        assertTrue(report(Double.POSITIVE_INFINITY, 0.9, 0.1, Double.NaN).toJson().contains("\"epsilon\":null"));
    }
}
