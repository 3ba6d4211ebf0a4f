package io.fedlora.client.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.Sha256;
import io.fedlora.crypto.privacy.PrivacyAccountant;
import io.fedlora.crypto.privacy.RdpAccountant;
import io.fedlora.crypto.privacy.SampledGaussianSteps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's own record of every DP release, and the gate in front of the next one. A release is
 * written to disk (fsync, atomic rename, sha256 checksum) <em>before</em> the update leaves the
 * client, so a client killed at any point can only over-count, never under-count. The coordinator
 * is not trusted with any of this: the client computes its own epsilon (RDP accountant,
 * heterogeneous composition over every entry).
 */
public final class PrivacyLedger {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FORMAT = 1;

    private final Path file;
    private final PrivacyBudget budget;
    private final InstantSource clock;
    private final List<LedgerEntry> entries;

    private PrivacyLedger(Path file, PrivacyBudget budget, InstantSource clock, List<LedgerEntry> entries) {
        this.file = file;
        this.budget = budget;
        this.clock = clock;
        this.entries = entries;
    }

    /** Opens the ledger at {@code file}, creating an empty one if absent; a damaged file is refused. */
    public static PrivacyLedger open(Path file, PrivacyBudget budget, InstantSource clock) throws IOException {
        List<LedgerEntry> entries = Files.exists(file) ? read(file) : new ArrayList<>();
        return new PrivacyLedger(file, budget, clock, entries);
    }

    /** Epsilon spent so far in one job, at the budget's delta. */
    public synchronized double spentEpsilon(String jobId) {
        return accountant(entries.stream().filter(e -> e.jobId().equals(jobId)).toList()).epsilon(budget.delta());
    }

    /** Epsilon spent over every job, at the budget's delta. */
    public synchronized double spentEpsilonOverall() {
        return accountant(entries).epsilon(budget.delta());
    }

    public synchronized List<LedgerEntry> entries() {
        return List.copyOf(entries);
    }

    /**
     * Records a release before it happens, if the budget allows it; otherwise throws and records
     * nothing. Returns the job's epsilon including this release.
     */
    public synchronized double recordRelease(String jobId, int round, SampledGaussianSteps steps)
            throws IOException, BudgetExceededException {
        for (LedgerEntry e : entries) {
            if (e.jobId().equals(jobId) && e.round() == round) {
                throw new BudgetExceededException("round " + round + " of job " + jobId
                        + " was already released once; a second release would spend again");
            }
        }
        LedgerEntry entry = new LedgerEntry(jobId, round, LedgerEntry.DP_SGD, steps, clock.millis());
        List<LedgerEntry> after = new ArrayList<>(entries);
        after.add(entry);
        double job = accountant(after.stream().filter(e -> e.jobId().equals(jobId)).toList()).epsilon(budget.delta());
        double overall = accountant(after).epsilon(budget.delta());
        if (job > budget.perJobEpsilon()) {
            throw new BudgetExceededException(String.format(java.util.Locale.ROOT,
                    "job %s round %d would bring the job's epsilon to %.4f, over its budget %.4f (delta %.1e)",
                    jobId, round, job, budget.perJobEpsilon(), budget.delta()));
        }
        if (overall > budget.overallEpsilon()) {
            throw new BudgetExceededException(String.format(java.util.Locale.ROOT,
                    "job %s round %d would bring this client's overall epsilon to %.4f, over its budget %.4f",
                    jobId, round, overall, budget.overallEpsilon()));
        }
        write(file, after);
        entries.add(entry);
        return job;
    }

    private static PrivacyAccountant accountant(List<LedgerEntry> list) {
        PrivacyAccountant a = RdpAccountant.create();
        for (LedgerEntry e : list) {
            a = a.compose(e.steps());
        }
        return a;
    }

    private static void write(Path file, List<LedgerEntry> entries) throws IOException {
        ArrayNode arr = JSON.createArrayNode();
        for (LedgerEntry e : entries) {
            ObjectNode n = arr.addObject();
            n.put("job", e.jobId());
            n.put("round", e.round());
            n.put("mechanism", e.mechanism());
            n.put("sampling_rate", e.steps().samplingRate());
            n.put("noise_multiplier", e.steps().noiseMultiplier());
            n.put("steps", e.steps().steps());
            n.put("recorded_unix_ms", e.recordedUnixMs());
        }
        String body = JSON.writeValueAsString(arr);
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("sha256", Sha256.hex(body.getBytes(StandardCharsets.UTF_8)));
        root.set("entries", arr);
        AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    private static List<LedgerEntry> read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new LedgerCorruptException(file, "not valid JSON");
        }
        if (root == null || root.path("format").asInt() != FORMAT || !root.path("entries").isArray()) {
            throw new LedgerCorruptException(file, "unknown format");
        }
        String body = JSON.writeValueAsString(root.get("entries"));
        if (!Sha256.hex(body.getBytes(StandardCharsets.UTF_8)).equals(root.path("sha256").asText())) {
            throw new LedgerCorruptException(file, "checksum mismatch");
        }
        List<LedgerEntry> out = new ArrayList<>();
        int i = 0;
        for (JsonNode n : root.get("entries")) {
            try {
                out.add(new LedgerEntry(n.path("job").asText(), n.path("round").asInt(), n.path("mechanism").asText(),
                        new SampledGaussianSteps(n.path("sampling_rate").asDouble(), n.path("noise_multiplier").asDouble(),
                                n.path("steps").asLong()), n.path("recorded_unix_ms").asLong()));
            } catch (IllegalArgumentException e) {
                throw new LedgerCorruptException(file, "entry " + i + ": " + e.getMessage());
            }
            i++;
        }
        return out;
    }
}
