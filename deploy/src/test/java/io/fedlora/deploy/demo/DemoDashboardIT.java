package io.fedlora.deploy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo as a new user runs it, with the smallest cohort it accepts (3 clients, the defect that
 * failed with "min_clients ... got 2"): every round completes, and the dashboard's address and a
 * one-time sign-in link are printed before the rounds start.
 */
@Timeout(600)
class DemoDashboardIT {

    @Test
    void threeClientsTrainAndTheDashboardLinkIsPrintedFirst() throws Exception {
        Path home = Path.of("").toAbsolutePath();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        DemoReport report = new DemoRunner(new DemoRunner.Settings(home, home.resolve("target/demo-dashboard-it"), 3, 2,
                false, DemoRunner.Privacy.NONE, false, io.fedlora.client.model.BaseQuantization.NONE, true), out).run();
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2, report.roundRows().size(), printed);
        int dashboard = printed.indexOf("dashboard at https://127.0.0.1:");
        int link = printed.indexOf("/login#token=");
        int firstRound = printed.indexOf("1/2 ");
        assertTrue(dashboard >= 0 && link > dashboard && firstRound > link, printed);
        // A page's live subscription held through the run got each round as it ended.
        assertTrue(printed.contains("dashboard subscriber: received {") && printed.contains("round="), printed);
        // Federated evaluation: each client scored its share of the held-out set with the version the round
        // started from; their mean is the demo's own score of that version, up to the shares' unequal sizes.
        double previous = report.baseExactMatch();
        for (DemoReport.Round r : report.roundRows()) {
            assertEquals(previous, r.clientsExactMatch(), 0.02, "round " + r.round() + " held-out score\n" + printed);
            previous = r.exactMatch();
        }
    }
}
