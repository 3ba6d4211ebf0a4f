package io.fedlora.coordinator;

import io.fedlora.adapter.LoraLayouts;
import io.fedlora.coordinator.strategy.StrategyRegistry;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TensorSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks a job's configuration once, at creation, and reports every problem at once. */
public final class JobConfigValidator {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /** Largest update that still fits one Java array of float32 bytes. */
    static final long MAX_ELEMENTS = (Integer.MAX_VALUE - 64) / 4;

    private JobConfigValidator() {}

    public static boolean isSha256Hex(String s) {
        return s != null && SHA256_HEX.matcher(s).matches();
    }

    /** Every problem with {@code c} for a coordinator that requires secure aggregation. */
    public static List<String> problems(JobConfig c) {
        return problems(c, false);
    }

    /**
     * Every problem with {@code c}, each naming its field; empty when the config is valid.
     *
     * @param allowPlaintext whether a job without secure aggregation is acceptable (--insecure-plaintext)
     */
    public static List<String> problems(JobConfig c, boolean allowPlaintext) {
        List<String> p = new ArrayList<>();
        if (c.hasSecureAggregation()) {
            p.addAll(io.fedlora.rounds.SecureRoundSetup.problems(c));
        } else if (!allowPlaintext) {
            p.add("secure_aggregation: required; clients' updates reach this coordinator only through SecAgg+"
                    + " (plaintext updates need a coordinator started with --insecure-plaintext, for development)");
        }
        if (c.getName().isBlank()) {
            p.add("name: must not be empty");
        }
        if (c.getBaseModelId().isBlank()) {
            p.add("base_model_id: must not be empty");
        }
        if (!isSha256Hex(c.getBaseModelSha256())) {
            p.add("base_model_sha256: must be 64 lowercase hex characters");
        }
        if (c.getRounds() < 1) {
            p.add("rounds: must be >= 1, got " + c.getRounds());
        }
        if (c.getMinClients() < 1) {
            p.add("min_clients: must be >= 1, got " + c.getMinClients());
        }
        if (c.getClientsPerRound() < c.getMinClients() || c.getClientsPerRound() < 1) {
            p.add("clients_per_round: must be >= min_clients (" + c.getMinClients() + ") and >= 1, got "
                    + c.getClientsPerRound());
        }
        if (c.getRoundDeadlineSeconds() <= 0) {
            p.add("round_deadline_seconds: must be > 0, got " + c.getRoundDeadlineSeconds());
        }
        p.addAll(StrategyRegistry.problems(c));
        schedulingProblems(c, p);
        if (!c.hasLora()) {
            p.add("lora: missing");
        } else {
            var l = c.getLora();
            if (l.getRank() <= 0) {
                p.add("lora.rank: must be > 0, got " + l.getRank());
            }
            if (!(l.getAlpha() > 0) || !Double.isFinite(l.getAlpha())) {
                p.add("lora.alpha: must be a finite number > 0, got " + l.getAlpha());
            }
            if (!(l.getDropout() >= 0 && l.getDropout() < 1)) {
                p.add("lora.dropout: must be in [0, 1), got " + l.getDropout());
            }
            if (l.getAggregationMode() == AggregationMode.UNRECOGNIZED) {
                p.add("lora.aggregation_mode: unknown value " + l.getAggregationModeValue());
            }
        }
        if (!c.hasTraining()) {
            p.add("training: missing");
        } else {
            var t = c.getTraining();
            if (t.getLocalSteps() <= 0) {
                p.add("training.local_steps: must be > 0, got " + t.getLocalSteps());
            }
            if (t.getBatchSize() <= 0) {
                p.add("training.batch_size: must be > 0, got " + t.getBatchSize());
            }
            if (!(t.getLearningRate() > 0) || !Double.isFinite(t.getLearningRate())) {
                p.add("training.learning_rate: must be a finite number > 0, got " + t.getLearningRate());
            }
            if (t.getMaxSeqLen() <= 0) {
                p.add("training.max_seq_len: must be > 0, got " + t.getMaxSeqLen());
            }
            if (t.hasDp()) {
                dpProblems(t.getDp(), p);
            }
        }
        layoutProblems(c, p);
        return p;
    }

    private static void schedulingProblems(JobConfig c, List<String> p) {
        var s = c.getScheduling();
        if (s.getCooldownRounds() < 0) {
            p.add("scheduling.cooldown_rounds: must be >= 0, got " + s.getCooldownRounds());
        }
        if (!(s.getOverSelection() >= 0 && s.getOverSelection() <= 1)) {
            p.add("scheduling.over_selection: must be in [0, 1], got " + s.getOverSelection());
        }
        if (s.getStragglerCutoffSeconds() < 0 || (s.getStragglerCutoffSeconds() > 0
                && s.getStragglerCutoffSeconds() >= c.getRoundDeadlineSeconds())) {
            p.add("scheduling.straggler_cutoff_seconds: must be 0 (off) or in (0, round_deadline_seconds = "
                    + c.getRoundDeadlineSeconds() + "), got " + s.getStragglerCutoffSeconds());
        }
    }

    /** DP on means real noise: a zero, negative or NaN parameter is an error, never "no noise". */
    private static void dpProblems(io.fedlora.proto.v1.DpSgdConfig d, List<String> p) {
        if (!(d.getNoiseMultiplier() > 0) || !Double.isFinite(d.getNoiseMultiplier())) {
            p.add("training.dp.noise_multiplier: must be a finite number > 0, got " + d.getNoiseMultiplier());
        }
        if (!(d.getClipNorm() > 0) || !Double.isFinite(d.getClipNorm())) {
            p.add("training.dp.clip_norm: must be a finite number > 0, got " + d.getClipNorm());
        }
        if (!(d.getSamplingRate() > 0 && d.getSamplingRate() <= 1)) {
            p.add("training.dp.sampling_rate: must be in (0, 1], got " + d.getSamplingRate());
        }
        if (!(d.getDelta() > 0 && d.getDelta() < 1)) {
            p.add("training.dp.delta: must be in (0, 1), got " + d.getDelta());
        }
    }

    private static void layoutProblems(JobConfig c, List<String> p) {
        var layout = c.getAdapterLayout();
        if (layout.getTensorsCount() == 0) {
            p.add("adapter_layout.tensors: must not be empty");
            return;
        }
        int rank = c.getLora().getRank();
        Set<String> names = new HashSet<>();
        boolean shapesOk = true;
        for (int i = 0; i < layout.getTensorsCount(); i++) {
            TensorSpec t = layout.getTensors(i);
            String f = "adapter_layout.tensors[" + i + "]";
            if (t.getName().isBlank()) {
                p.add(f + ".name: must not be empty");
            } else if (!names.add(t.getName())) {
                p.add(f + ".name: duplicate tensor name '" + t.getName() + "'");
            }
            if (t.getShapeCount() != 2 || t.getShape(0) <= 0 || t.getShape(1) <= 0) {
                p.add(f + ".shape: a LoRA factor must be a matrix with positive dimensions, got " + t.getShapeList());
                shapesOk = false;
                continue;
            }
            if (rank > 0 && t.getName().endsWith(".lora_A.weight") && t.getShape(0) != rank) {
                p.add(f + ".shape: lora_A rows must equal lora.rank (" + rank + "), got " + t.getShape(0));
            }
            if (rank > 0 && t.getName().endsWith(".lora_B.weight") && t.getShape(1) != rank) {
                p.add(f + ".shape: lora_B columns must equal lora.rank (" + rank + "), got " + t.getShape(1));
            }
        }
        if (shapesOk) {
            long total;
            try {
                total = LoraLayouts.totalElements(layout);
            } catch (ArithmeticException | IllegalArgumentException e) {
                total = Long.MAX_VALUE;
            }
            if (total > MAX_ELEMENTS) {
                p.add("adapter_layout: " + total + " elements exceed the supported maximum of " + MAX_ELEMENTS);
            }
        }
    }

    /**
     * Fills in documented defaults for enums left unspecified (FedAvg; exact frozen-A aggregation) and
     * the strategy's options, so a stored job keeps the values it ran with if a default changes.
     */
    public static JobConfig normalized(JobConfig c) {
        JobConfig.Builder b = c.toBuilder();
        if (c.getStrategy() == Strategy.STRATEGY_UNSPECIFIED) {
            b.setStrategy(Strategy.STRATEGY_FEDAVG);
        }
        StrategyRegistry.of(b.getStrategy())
                .ifPresent(s -> b.setStrategyOptions(s.withDefaults(c.getStrategyOptions())));
        if (c.getLora().getAggregationMode() == AggregationMode.AGGREGATION_MODE_UNSPECIFIED) {
            b.getLoraBuilder().setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A);
        }
        return b.build();
    }
}
