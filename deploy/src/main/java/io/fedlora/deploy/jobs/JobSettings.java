package io.fedlora.deploy.jobs;

import static io.fedlora.config.ValueType.BOOLEAN;
import static io.fedlora.config.ValueType.DECIMAL;
import static io.fedlora.config.ValueType.INTEGER;
import static io.fedlora.config.ValueType.LONG;
import static io.fedlora.config.ValueType.PATH;
import static io.fedlora.config.ValueType.STRING;
import static io.fedlora.config.ValueType.STRINGS;

import io.fedlora.config.ConfigDef;
import io.fedlora.config.Setting;
import io.fedlora.config.ValueType;
import io.fedlora.coordinator.strategy.StrategyRegistry;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.rounds.SecureRoundSetup;
import java.nio.file.Path;
import java.util.List;

/**
 * Every setting of a job ({@code fedlora admin create-job} and {@code job-config}), declared once: its
 * flag, its line in a {@code --config job.properties} file and its row in docs/configuration.md follow
 * from here. The declarations parse; what the values must satisfy is the coordinator's own
 * {@link io.fedlora.coordinator.JobConfigValidator}, which {@link JobOptions#toConfig} runs before
 * anything is sent, so the command and the coordinator cannot disagree.
 */
public final class JobSettings {

    private static final ValueType<AggregationMode> AGGREGATION = new ValueType<>("exact|inexact",
            JobSettings::aggregation, m -> m == AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A ? "exact" : "inexact");
    private static final ValueType<Strategy> STRATEGY = new ValueType<>(StrategyRegistry.names(),
            JobSettings::strategy, s -> StrategyRegistry.of(s).map(StrategyRegistry::strategyName)
                    .orElse(s.name()));

    public static final Setting<Path> MODEL = Setting.define("model", PATH).required().paramLabel("DIR")
            .doc("Base model directory (config.json, model.safetensors); its sha256 names the model in the job.").build();
    public static final Setting<String> NAME = Setting.define("name", STRING).defaultValue("job").paramLabel("NAME")
            .doc("Job name.").build();
    public static final Setting<Integer> ROUNDS = integer("rounds", 5, "Rounds.");
    public static final Setting<Integer> CLIENTS_PER_ROUND = integer("clients-per-round", 4, "Cohort size.");
    public static final Setting<Integer> MIN_CLIENTS = integer("min-clients", 3,
            "Fewest contributions for a round to count.");
    public static final Setting<Integer> DEADLINE_SECONDS = integer("deadline-seconds", 120, "Round deadline.");
    public static final Setting<Integer> RANK = integer("rank", 8, "LoRA rank.");
    public static final Setting<Double> ALPHA = Setting.define("alpha", DECIMAL).defaultValue(16.0)
            .doc("LoRA alpha.").build();
    public static final Setting<Double> DROPOUT = Setting.define("dropout", DECIMAL).defaultValue(0.0)
            .doc("LoRA dropout.").build();
    public static final Setting<List<String>> TARGETS = Setting.define("targets", STRINGS)
            .defaultValue(List.of("q_proj", "v_proj")).paramLabel("MODULE").doc("LoRA target modules.").build();
    public static final Setting<AggregationMode> AGGREGATION_MODE = Setting.define("aggregation", AGGREGATION)
            .defaultValue(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A).paramLabel("exact|inexact")
            .doc("exact (A frozen at a job seed, only B trained: the sum is exact) or inexact (average A and B).")
            .build();
    public static final Setting<Long> A_SEED = Setting.define("a-seed", LONG).defaultValue(1L)
            .doc("Seed of the frozen A.").build();
    public static final Setting<Integer> LOCAL_STEPS = integer("local-steps", 20, "Optimizer steps per round.");
    public static final Setting<Integer> BATCH_SIZE = integer("batch-size", 16, "Examples per step.");
    public static final Setting<Double> LEARNING_RATE = Setting.define("lr", DECIMAL).defaultValue(0.003)
            .doc("Learning rate.").build();
    public static final Setting<Integer> MAX_SEQ_LEN = integer("max-seq-len", 64, "Longest tokenized example.");
    public static final Setting<Long> TRAIN_SEED = Setting.define("train-seed", LONG).defaultValue(7L)
            .doc("Seed of local batch sampling.").build();
    public static final Setting<Double> DP_NOISE_MULTIPLIER = Setting.define("dp-noise-multiplier", DECIMAL)
            .defaultText("no DP-SGD").doc("Turn on record-level DP-SGD with this noise multiplier.").build();
    public static final Setting<Double> DP_CLIP_NORM = Setting.define("dp-clip-norm", DECIMAL).defaultValue(1.0)
            .doc("DP-SGD per-example clip norm.").build();
    public static final Setting<Double> DP_SAMPLING_RATE = Setting.define("dp-sampling-rate", DECIMAL)
            .defaultValue(0.05).doc("DP-SGD Poisson sampling rate.").build();
    public static final Setting<Double> DP_DELTA = Setting.define("dp-delta", DECIMAL).defaultValue(1e-5)
            .doc("DP-SGD delta.").build();
    public static final Setting<Double> SECAGG_DROPOUT = Setting.define("secagg-dropout", DECIMAL).defaultValue(0.25)
            .doc("Secure aggregation: fraction of a cohort that may drop out.").build();
    public static final Setting<Double> SECAGG_CORRUPT = Setting.define("secagg-corrupt", DECIMAL).defaultValue(0.0)
            .doc("Secure aggregation: fraction of a cohort that may collude with the coordinator (cohorts under ~10"
                    + " tolerate only 0).").build();
    public static final Setting<Double> SECAGG_CLIP_NORM = Setting.define("secagg-clip-norm", DECIMAL)
            .defaultValue(50.0).doc("Secure aggregation: L2 bound on each update before fixed-point encoding.").build();
    public static final Setting<Integer> SECAGG_MAX_WEIGHT = integer("secagg-max-weight", 16384,
            "Secure aggregation: cap on a client's example weight.");
    public static final Setting<Integer> SECAGG_STAGE_TIMEOUT = integer("secagg-stage-timeout",
            SecureRoundSetup.DEFAULT_STAGE_TIMEOUT_SECONDS,
            "Secure aggregation: seconds for each key-exchange and unmasking stage.");
    public static final Setting<Strategy> STRATEGY_NAME = Setting.define("strategy", STRATEGY)
            .defaultValue(Strategy.STRATEGY_FEDAVG).paramLabel("NAME")
            .doc("Server optimizer on the round's mean update.").build();
    public static final Setting<Double> SERVER_LR = strategyOption("server-lr", "ETA",
            "1 for fedavg/fedavgm, 0.1 for the adaptive ones", "Server learning rate.");
    public static final Setting<Double> SERVER_MOMENTUM = strategyOption("server-momentum", "BETA", "0.9",
            "fedavgm's momentum.");
    public static final Setting<Double> BETA1 = strategyOption("beta1", "BETA1", "0.9",
            "Adaptive optimizers' first-moment decay.");
    public static final Setting<Double> BETA2 = strategyOption("beta2", "BETA2", "0.99",
            "fedadam/fedyogi's second-moment decay.");
    public static final Setting<Double> TAU = strategyOption("tau", "TAU", "1e-3",
            "Adaptive optimizers' degree of adaptivity, added to sqrt(v).");
    public static final Setting<Double> FEDPROX_MU = strategyOption("fedprox-mu", "MU", "0, off",
            "FedProx: each client adds mu/2 * ||w - w_global||^2 to its local loss.");
    public static final Setting<Boolean> FAIR_SELECTION = Setting.define("fair-selection", BOOLEAN).defaultValue(false)
            .bareFlag("true")
            .doc("Select the nodes chosen least often so far first, so selection counts stay close to the mean.").build();
    public static final Setting<Integer> COOLDOWN_ROUNDS = Setting.define("cooldown-rounds", INTEGER).defaultValue(0)
            .doc("Rounds a selected node sits out while enough others are eligible.").build();
    public static final Setting<Double> OVER_SELECTION = Setting.define("over-selection", DECIMAL).defaultValue(0.0)
            .paramLabel("FRACTION")
            .doc("Ask this fraction more nodes than --clients-per-round; a plaintext round closes once"
                    + " --clients-per-round answered.").build();
    public static final Setting<Integer> STRAGGLER_CUTOFF = Setting.define("straggler-cutoff", INTEGER).defaultValue(0)
            .paramLabel("SECONDS")
            .doc("Close a plaintext round this long after it started once --min-clients answered (0: off).").build();
    public static final Setting<Boolean> INSECURE_PLAINTEXT = Setting.define("insecure-plaintext", BOOLEAN)
            .defaultValue(false).bareFlag("true")
            .doc("DEVELOPMENT ONLY: no secure aggregation; updates reach the coordinator in the clear (both the"
                    + " coordinator and the clients must be started with --insecure-plaintext).").build();

    public static final ConfigDef DEF = ConfigDef.of("fedlora admin create-job")
            .add(MODEL, NAME, ROUNDS, CLIENTS_PER_ROUND, MIN_CLIENTS, DEADLINE_SECONDS, RANK, ALPHA, DROPOUT, TARGETS,
                    AGGREGATION_MODE, A_SEED, LOCAL_STEPS, BATCH_SIZE, LEARNING_RATE, MAX_SEQ_LEN, TRAIN_SEED,
                    DP_NOISE_MULTIPLIER, DP_CLIP_NORM, DP_SAMPLING_RATE, DP_DELTA, SECAGG_DROPOUT, SECAGG_CORRUPT,
                    SECAGG_CLIP_NORM, SECAGG_MAX_WEIGHT, SECAGG_STAGE_TIMEOUT, STRATEGY_NAME, SERVER_LR,
                    SERVER_MOMENTUM, BETA1, BETA2, TAU, FEDPROX_MU, FAIR_SELECTION, COOLDOWN_ROUNDS, OVER_SELECTION,
                    STRAGGLER_CUTOFF, INSECURE_PLAINTEXT)
            .withoutEnvironment()
            .build();

    private JobSettings() {
    }

    private static Setting<Integer> integer(String key, int defaultValue, String doc) {
        return Setting.define(key, INTEGER).defaultValue(defaultValue).doc(doc).build();
    }

    /** Unset unless given: the coordinator fills in the strategy's own default when it creates the job. */
    private static Setting<Double> strategyOption(String key, String label, String defaultText, String doc) {
        return Setting.define(key, DECIMAL).paramLabel(label).defaultText(defaultText).doc(doc).build();
    }

    private static AggregationMode aggregation(String s) {
        return switch (s.strip()) {
            case "exact" -> AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A;
            case "inexact" -> AggregationMode.AGGREGATION_MODE_INEXACT_BOTH;
            default -> throw new IllegalArgumentException("must be exact or inexact");
        };
    }

    private static Strategy strategy(String s) {
        return StrategyRegistry.byName(s.strip()).map(StrategyRegistry::proto).orElseThrow(() ->
                new IllegalArgumentException("must be one of " + StrategyRegistry.names()));
    }
}
