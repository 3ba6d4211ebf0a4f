package io.fedlora.deploy.doctor;

import io.fedlora.client.privacy.LedgerCorruptException;
import io.fedlora.client.privacy.PrivacyBudget;
import io.fedlora.client.privacy.PrivacyLedger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;

/**
 * The node's privacy ledger reads back whole (valid JSON, known format, its sha256 checksum matches,
 * every entry well formed); a node whose ledger is damaged refuses DP work until it is restored.
 */
final class PrivacyLedgerCheck implements Check {

    /** Opening needs a budget; it only matters when recording, which this check never does. */
    private static final PrivacyBudget ANY_BUDGET = new PrivacyBudget(1, 1, 1e-5);

    private final Path ledger;
    private final InstantSource clock;

    PrivacyLedgerCheck(Path ledger, InstantSource clock) {
        this.ledger = ledger;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "privacy-ledger";
    }

    @Override
    public CheckResult run() {
        if (!Files.exists(ledger)) {
            return CheckResult.skip(name(), "no ledger at " + ledger + " (the node runs without --privacy-budget)");
        }
        try {
            int entries = PrivacyLedger.open(ledger, ANY_BUDGET, clock).entries().size();
            return CheckResult.ok(name(), ledger + ": intact, " + entries + " release(s) recorded");
        } catch (LedgerCorruptException e) {
            // Names the file; deleting it would make the node forget the privacy it has spent.
            return CheckResult.fail(name(), e.getMessage());
        } catch (IOException e) {
            return CheckResult.fail(name(), ledger + ": " + e.getMessage());
        }
    }
}
