package io.fedlora.client.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.privacy.DistributedDiscreteGaussianAccountant;
import io.fedlora.crypto.privacy.DistributedDiscreteGaussianParameters;
import io.fedlora.crypto.privacy.RdpAccountant;
import io.fedlora.crypto.privacy.ReleaseComposition;
import io.fedlora.crypto.privacy.SampledGaussianSteps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyLedgerTest {

    private static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2026-11-23T10:00:00Z"));
    private static final PrivacyBudget BUDGET = new PrivacyBudget(4, 6, 1e-5);
    private static final SampledGaussianSteps ROUND = new SampledGaussianSteps(0.05, 1.5, 80);

    @TempDir
    Path dir;

    @Test
    void spendsComposeAcrossRoundsAndSurviveAReopen() throws Exception {
        Path file = dir.resolve("ledger.json");
        PrivacyLedger ledger = PrivacyLedger.open(file, BUDGET, CLOCK);
        assertEquals(0, ledger.spentEpsilon("job-a"));
        double afterOne = ledger.recordRelease("job-a", 1, ROUND);
        double afterTwo = ledger.recordRelease("job-a", 2, ROUND);
        assertTrue(afterTwo > afterOne && afterOne > 0);
        double expected = RdpAccountant.create().compose(ROUND).compose(ROUND).epsilon(1e-5);
        assertEquals(expected, afterTwo, 1e-12);

        // A restarted client (a new JVM in real life) reads back exactly what it spent.
        PrivacyLedger reopened = PrivacyLedger.open(file, BUDGET, CLOCK);
        assertEquals(afterTwo, reopened.spentEpsilon("job-a"), 1e-12);
        assertEquals(2, reopened.entries().size());
    }

    /** One client-level round as the demo's: 4 clients' discrete Gaussian noise over 8,192 words. */
    private static final DistributedDiscreteGaussianParameters CLIENT_ROUND =
            DistributedDiscreteGaussianParameters.of(4, 1.4e8, 8192, 2.0e8);

    @Test
    void clientLevelAndDpSgdReleasesComposeAndSurviveAReopen() throws Exception {
        Path file = dir.resolve("ledger.json");
        PrivacyBudget roomy = new PrivacyBudget(30, 40, 1e-5);
        PrivacyLedger ledger = PrivacyLedger.open(file, roomy, CLOCK);
        double clientOnly = ledger.recordRound("job-a", 1, null, CLIENT_ROUND);
        assertEquals(DistributedDiscreteGaussianAccountant.create().composeRounds(CLIENT_ROUND, 1).epsilon(1e-5),
                clientOnly, 1e-12);
        double both = ledger.recordRound("job-a", 2, ROUND, CLIENT_ROUND);
        assertEquals(ReleaseComposition.epsilon(List.of(ROUND), List.of(CLIENT_ROUND, CLIENT_ROUND), 1e-5), both, 1e-12);
        assertTrue(both > RdpAccountant.create().compose(ROUND).epsilon(1e-5));
        assertTrue(both > DistributedDiscreteGaussianAccountant.create().composeRounds(CLIENT_ROUND, 2).epsilon(1e-5));

        PrivacyLedger reopened = PrivacyLedger.open(file, roomy, CLOCK);
        assertEquals(3, reopened.entries().size());
        assertEquals(CLIENT_ROUND, reopened.entries().get(0).clientLevel());
        assertEquals(both, reopened.spentEpsilon("job-a"), 1e-12);
        // Either part of round 2 already spent: the round is not released again.
        assertThrows(BudgetExceededException.class, () -> reopened.recordRound("job-a", 2, null, CLIENT_ROUND));
        assertThrows(IllegalArgumentException.class, () -> reopened.recordRound("job-a", 3, null, null));

        String text = Files.readString(file, StandardCharsets.UTF_8);
        Files.writeString(file, text.replace("\"noise_clients\" : 4", "\"noise_clients\" : 400"));
        LedgerCorruptException e = assertThrows(LedgerCorruptException.class, () -> PrivacyLedger.open(file, roomy, CLOCK));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void aClientLevelRoundOverTheBudgetIsRefused() throws Exception {
        PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("l.json"), BUDGET, CLOCK);
        DistributedDiscreteGaussianParameters weak = DistributedDiscreteGaussianParameters.of(4, 1e7, 8192, 2.0e8);
        BudgetExceededException e = assertThrows(BudgetExceededException.class,
                () -> ledger.recordRound("job-a", 1, null, weak));
        assertTrue(e.getMessage().contains("over its budget"), e.getMessage());
        assertEquals(0, ledger.entries().size());
    }

    @Test
    void aReleaseOverTheJobBudgetIsRefusedAndNotRecorded() throws Exception {
        PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("l.json"), BUDGET, CLOCK);
        SampledGaussianSteps expensive = new SampledGaussianSteps(0.5, 0.6, 200);
        BudgetExceededException e = assertThrows(BudgetExceededException.class,
                () -> ledger.recordRelease("job-a", 1, expensive));
        assertTrue(e.getMessage().contains("over its budget"), e.getMessage());
        assertEquals(0, ledger.entries().size());
        assertEquals(0, PrivacyLedger.open(dir.resolve("l.json"), BUDGET, CLOCK).entries().size());
    }

    @Test
    void theOverallBudgetSpansJobs() throws Exception {
        PrivacyBudget tight = new PrivacyBudget(4, 4.5, 1e-5);
        PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("l.json"), tight, CLOCK);
        SampledGaussianSteps medium = new SampledGaussianSteps(0.05, 1.2, 100);
        int recorded = 0;
        BudgetExceededException refused = null;
        for (int job = 0; job < 10 && refused == null; job++) {
            try {
                ledger.recordRelease("job-" + job, 1, medium);
                recorded++;
            } catch (BudgetExceededException e) {
                refused = e;
            }
        }
        assertTrue(recorded >= 1 && refused != null, "recorded " + recorded);
        assertTrue(refused.getMessage().contains("overall"), refused.getMessage());
        assertTrue(ledger.spentEpsilonOverall() <= 4.5);
    }

    @Test
    void aRoundIsNeverReleasedTwice() throws Exception {
        PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("l.json"), BUDGET, CLOCK);
        ledger.recordRelease("job-a", 3, ROUND);
        assertThrows(BudgetExceededException.class, () -> ledger.recordRelease("job-a", 3, ROUND));
    }

    @Test
    void aTamperedLedgerFailsItsChecksum() throws Exception {
        Path file = dir.resolve("l.json");
        PrivacyLedger.open(file, BUDGET, CLOCK).recordRelease("job-a", 1, ROUND);
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Files.writeString(file, text.replace("\"noise_multiplier\" : 1.5", "\"noise_multiplier\" : 9.0"));
        LedgerCorruptException e = assertThrows(LedgerCorruptException.class, () -> PrivacyLedger.open(file, BUDGET, CLOCK));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        Files.writeString(file, "{not json");
        assertThrows(LedgerCorruptException.class, () -> PrivacyLedger.open(file, BUDGET, CLOCK));
    }

    @Test
    void budgetsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(Double.NaN, 8, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(0, 8, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(1, 8, 1));
        assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(9, 8, 1e-5));
    }
}
