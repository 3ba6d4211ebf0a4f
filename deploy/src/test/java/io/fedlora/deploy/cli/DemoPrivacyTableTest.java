package io.fedlora.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
                report(7.99, 0.02, Double.NaN, 7.99));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).startsWith("non-private") && lines.get(1).contains("99.5%") && lines.get(1).endsWith("100%"),
                lines.get(1));
        assertTrue(lines.get(2).contains("8.00 per example") && lines.get(2).contains("86.5%") && lines.get(2).endsWith("87%"),
                lines.get(2));
        assertTrue(lines.get(3).startsWith("client-level distributed DP") && lines.get(3).contains("7.99 per client")
                && lines.get(3).contains("2.0%") && lines.get(3).endsWith("2%"), lines.get(3));
    }

    @Test
    void aLossThatWasNeverSentIsNullInJson() {
        String json = report(7.99, 0.02, Double.NaN, 7.99).toJson();
        assertTrue(json.contains("\"train_loss\":null"), json);
        assertTrue(json.contains("\"epsilon\":7.9900"), json);
        assertTrue(report(Double.POSITIVE_INFINITY, 0.9, 0.1, Double.NaN).toJson().contains("\"epsilon\":null"));
    }
}
