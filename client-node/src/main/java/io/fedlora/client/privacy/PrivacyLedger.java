package io.fedlora.client.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.Sha256;
import io.fedlora.crypto.privacy.DistributedDiscreteGaussianParameters;
import io.fedlora.crypto.privacy.ReleaseComposition;
import io.fedlora.crypto.privacy.SampledGaussianSteps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The client's own record of every DP release, and the gate in front of the next one. A release is
 * written to disk (fsync, atomic rename, sha256 checksum) <em>before</em> the update leaves the
 * client, so a client killed at any point can only over-count, never under-count. The coordinator
 * is not trusted with any of this: the client computes its own epsilon (RDP, heterogeneous
 * composition over every entry: DP-SGD steps and client-level distributed DP rounds alike, see
 * {@link ReleaseComposition}).
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
        return epsilon(entries.stream().filter(e -> e.jobId().equals(jobId)).toList());
    }

    /** Epsilon spent over every job, at the budget's delta. */
    public synchronized double spentEpsilonOverall() {
        return epsilon(entries);
    }

    public synchronized List<LedgerEntry> entries() {
        return List.copyOf(entries);
    }

    /**
     * Records a DP-SGD release before it happens, if the budget allows it; otherwise throws and
     * records nothing. Returns the job's epsilon including this release.
     */
    public double recordRelease(String jobId, int round, SampledGaussianSteps steps)
            throws IOException, BudgetExceededException {
        return recordRound(jobId, round, Objects.requireNonNull(steps, "steps"), null);
    }

    /**
     * Records what one round releases, before it happens: its DP-SGD steps and/or its client-level
     * distributed DP noise (either may be null, not both), together or not at all. Throws, recording
     * nothing, when the round was released before or the job's or the overall budget would be
     * exceeded. Returns the job's epsilon including this round.
     */
    public synchronized double recordRound(String jobId, int round, SampledGaussianSteps dpSgd,
            DistributedDiscreteGaussianParameters clientLevel) throws IOException, BudgetExceededException {
        if (dpSgd == null && clientLevel == null) {
            throw new IllegalArgumentException("a round with no DP release has nothing to record");
        }
        for (LedgerEntry e : entries) {
            if (e.jobId().equals(jobId) && e.round() == round) {
                throw new BudgetExceededException("round " + round + " of job " + jobId
                        + " was already released once; a second release would spend again");
            }
        }
        List<LedgerEntry> added = new ArrayList<>(2);
        if (dpSgd != null) {
            added.add(LedgerEntry.dpSgd(jobId, round, dpSgd, clock.millis()));
        }
        if (clientLevel != null) {
            added.add(LedgerEntry.clientLevel(jobId, round, clientLevel, clock.millis()));
        }
        List<LedgerEntry> after = new ArrayList<>(entries);
        after.addAll(added);
        double job = epsilon(after.stream().filter(e -> e.jobId().equals(jobId)).toList());
        double overall = epsilon(after);
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
        entries.addAll(added);
        return job;
    }

    private double epsilon(List<LedgerEntry> list) {
        List<SampledGaussianSteps> steps = new ArrayList<>();
        List<DistributedDiscreteGaussianParameters> rounds = new ArrayList<>();
        for (LedgerEntry e : list) {
            if (e.steps() != null) {
                steps.add(e.steps());
            } else {
                rounds.add(e.clientLevel());
            }
        }
        return ReleaseComposition.epsilon(steps, rounds, budget.delta());
    }

    private static void write(Path file, List<LedgerEntry> entries) throws IOException {
        ArrayNode arr = JSON.createArrayNode();
        for (LedgerEntry e : entries) {
            ObjectNode n = arr.addObject();
            n.put("job", e.jobId());
            n.put("round", e.round());
            n.put("mechanism", e.mechanism());
            if (e.steps() != null) {
                n.put("sampling_rate", e.steps().samplingRate());
                n.put("noise_multiplier", e.steps().noiseMultiplier());
                n.put("steps", e.steps().steps());
            } else {
                DistributedDiscreteGaussianParameters p = e.clientLevel();
                n.put("noise_clients", p.clients());
                n.put("integer_noise_sigma", p.sigma());
                n.put("dimension", p.dimension());
                n.put("l2_sensitivity", p.l2Sensitivity());
                n.put("l1_sensitivity", p.l1Sensitivity());
            }
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
                out.add(entry(n));
            } catch (IllegalArgumentException e) {
                throw new LedgerCorruptException(file, "entry " + i + ": " + e.getMessage());
            }
            i++;
        }
        return out;
    }

    private static LedgerEntry entry(JsonNode n) {
        String job = n.path("job").asText();
        int round = n.path("round").asInt();
        long at = n.path("recorded_unix_ms").asLong();
        if (LedgerEntry.DISTRIBUTED_DISCRETE_GAUSSIAN.equals(n.path("mechanism").asText())) {
            return LedgerEntry.clientLevel(job, round, new DistributedDiscreteGaussianParameters(
                    n.path("noise_clients").asInt(), n.path("integer_noise_sigma").asDouble(),
                    n.path("dimension").asInt(), n.path("l2_sensitivity").asDouble(),
                    n.path("l1_sensitivity").asDouble()), at);
        }
        return new LedgerEntry(job, round, n.path("mechanism").asText(), new SampledGaussianSteps(
                n.path("sampling_rate").asDouble(), n.path("noise_multiplier").asDouble(), n.path("steps").asLong()),
                null, at);
    }
}
