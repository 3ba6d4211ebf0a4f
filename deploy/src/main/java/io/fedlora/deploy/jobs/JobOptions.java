package io.fedlora.deploy.jobs;

import com.google.protobuf.DoubleValue;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.coordinator.strategy.StrategyRegistry;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.StrategyOptions;
import io.fedlora.proto.v1.TrainingConfig;
import io.fedlora.rounds.SecureRoundSetup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** A job's configuration as command-line options; the base model's identity and shapes come from its directory. */
public final class JobOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Base model directory (config.json, model.safetensors); its sha256 names the model in the job.")
    public Path model;

    @Option(names = "--name", defaultValue = "job", description = "Job name (default: ${DEFAULT-VALUE}).")
    public String name;

    @Option(names = "--rounds", defaultValue = "5", description = "Rounds (default: ${DEFAULT-VALUE}).")
    public int rounds;

    @Option(names = "--clients-per-round", defaultValue = "4", description = "Cohort size (default: ${DEFAULT-VALUE}).")
    public int clientsPerRound;

    @Option(names = "--min-clients", defaultValue = "3",
            description = "Fewest contributions for a round to count (default: ${DEFAULT-VALUE}).")
    public int minClients;

    @Option(names = "--deadline-seconds", defaultValue = "120", description = "Round deadline (default: ${DEFAULT-VALUE}).")
    public int deadlineSeconds;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    public int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha (default: ${DEFAULT-VALUE}).")
    public double alpha;

    @Option(names = "--dropout", defaultValue = "0.0", description = "LoRA dropout (default: ${DEFAULT-VALUE}).")
    public double dropout;

    @Option(names = "--targets", defaultValue = "q_proj,v_proj", split = ",",
            description = "LoRA target modules (default: ${DEFAULT-VALUE}).")
    public List<String> targets;

    @Option(names = "--aggregation", defaultValue = "exact",
            description = "exact (A frozen at a job seed, only B trained: the sum is exact) or inexact (average A and B). Default: ${DEFAULT-VALUE}.")
    public String aggregation;

    @Option(names = "--a-seed", defaultValue = "1", description = "Seed of the frozen A (default: ${DEFAULT-VALUE}).")
    public long aSeed;

    @Option(names = "--local-steps", defaultValue = "20", description = "Optimizer steps per round (default: ${DEFAULT-VALUE}).")
    public int localSteps;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    public int batchSize;

    @Option(names = "--lr", defaultValue = "0.003", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    public double learningRate;

    @Option(names = "--max-seq-len", defaultValue = "64", description = "Longest tokenized example (default: ${DEFAULT-VALUE}).")
    public int maxSeqLen;

    @Option(names = "--train-seed", defaultValue = "7", description = "Seed of local batch sampling (default: ${DEFAULT-VALUE}).")
    public long trainSeed;

    @Option(names = "--dp-noise-multiplier", description = "Turn on record-level DP-SGD with this noise multiplier.")
    public Double dpNoiseMultiplier;

    @Option(names = "--dp-clip-norm", defaultValue = "1.0", description = "DP-SGD per-example clip norm (default: ${DEFAULT-VALUE}).")
    public double dpClipNorm;

    @Option(names = "--dp-sampling-rate", defaultValue = "0.05", description = "DP-SGD Poisson sampling rate (default: ${DEFAULT-VALUE}).")
    public double dpSamplingRate;

    @Option(names = "--dp-delta", defaultValue = "1e-5", description = "DP-SGD delta (default: ${DEFAULT-VALUE}).")
    public double dpDelta;

    @Option(names = "--secagg-dropout", defaultValue = "0.25",
            description = "Secure aggregation: fraction of a cohort that may drop out (default: ${DEFAULT-VALUE}).")
    public double secaggDropout;

    @Option(names = "--secagg-corrupt", defaultValue = "0.0",
            description = "Secure aggregation: fraction of a cohort that may collude with the coordinator"
                    + " (default: ${DEFAULT-VALUE}; cohorts under ~10 tolerate only 0).")
    public double secaggCorrupt;

    @Option(names = "--secagg-clip-norm", defaultValue = "50",
            description = "Secure aggregation: L2 bound on each update before fixed-point encoding (default: ${DEFAULT-VALUE}).")
    public double secaggClipNorm;

    @Option(names = "--secagg-max-weight", defaultValue = "16384",
            description = "Secure aggregation: cap on a client's example weight (default: ${DEFAULT-VALUE}).")
    public int secaggMaxWeight;

    @Option(names = "--secagg-stage-timeout", defaultValue = "" + SecureRoundSetup.DEFAULT_STAGE_TIMEOUT_SECONDS,
            description = "Secure aggregation: seconds for each key-exchange and unmasking stage (default: ${DEFAULT-VALUE}).")
    public int secaggStageTimeout;

    @Option(names = "--strategy", defaultValue = "fedavg",
            description = "Server optimizer on the round's mean update: fedavg|fedavgm|fedadagrad|fedadam|fedyogi"
                    + " (default: ${DEFAULT-VALUE}).")
    public String strategy;

    @Option(names = "--server-lr", paramLabel = "ETA",
            description = "Server learning rate (default: 1 for fedavg/fedavgm, 0.1 for the adaptive ones).")
    public Double serverLr;

    @Option(names = "--server-momentum", paramLabel = "BETA", description = "fedavgm's momentum (default: 0.9).")
    public Double serverMomentum;

    @Option(names = "--beta1", description = "Adaptive optimizers' first-moment decay (default: 0.9).")
    public Double beta1;

    @Option(names = "--beta2", description = "fedadam/fedyogi's second-moment decay (default: 0.99).")
    public Double beta2;

    @Option(names = "--tau", description = "Adaptive optimizers' degree of adaptivity, added to sqrt(v) (default: 1e-3).")
    public Double tau;

    @Option(names = "--fedprox-mu", paramLabel = "MU",
            description = "FedProx: each client adds mu/2 * ||w - w_global||^2 to its local loss (default: 0, off).")
    public Double fedproxMu;

    @Option(names = "--fair-selection",
            description = "Select the nodes chosen least often so far first, so selection counts stay close to the mean.")
    public boolean fairSelection;

    @Option(names = "--cooldown-rounds", defaultValue = "0",
            description = "Rounds a selected node sits out while enough others are eligible (default: ${DEFAULT-VALUE}).")
    public int cooldownRounds;

    @Option(names = "--over-selection", defaultValue = "0", paramLabel = "FRACTION",
            description = "Ask this fraction more nodes than --clients-per-round; a plaintext round closes once"
                    + " --clients-per-round answered (default: ${DEFAULT-VALUE}, at most 1).")
    public double overSelection;

    @Option(names = "--straggler-cutoff", defaultValue = "0", paramLabel = "SECONDS",
            description = "Close a plaintext round this long after it started once --min-clients answered"
                    + " (default: ${DEFAULT-VALUE}, off).")
    public int stragglerCutoffSeconds;

    @Option(names = "--insecure-plaintext",
            description = "DEVELOPMENT ONLY: no secure aggregation; updates reach the coordinator in the clear"
                    + " (both the coordinator and the clients must be started with --insecure-plaintext).")
    public boolean insecurePlaintext;

    public io.fedlora.proto.v1.SecureAggregationConfig secureAggregation() {
        return io.fedlora.proto.v1.SecureAggregationConfig.newBuilder().setDropoutFraction(secaggDropout)
                .setCorruptFraction(secaggCorrupt).setClipNorm(secaggClipNorm).setMaxWeight(secaggMaxWeight)
                .setStageTimeoutSeconds(secaggStageTimeout).build();
    }

    private TrainingConfig training() {
        TrainingConfig.Builder t = TrainingConfig.newBuilder().setLocalSteps(localSteps).setBatchSize(batchSize)
                .setLearningRate(learningRate).setMaxSeqLen(maxSeqLen).setSeed(trainSeed);
        if (dpNoiseMultiplier != null) {
            // Validated by the coordinator (and again by each client): never "no noise" by accident.
            t.getDpBuilder().setNoiseMultiplier(dpNoiseMultiplier).setClipNorm(dpClipNorm)
                    .setSamplingRate(dpSamplingRate).setDelta(dpDelta);
        }
        return t.build();
    }

    /** The --strategy value as the proto enum; an unknown name is an error listing the known ones. */
    public Strategy strategy() {
        return StrategyRegistry.byName(strategy).map(StrategyRegistry::proto).orElseThrow(() ->
                new IllegalArgumentException("--strategy must be one of " + StrategyRegistry.names() + ", got '"
                        + strategy + "'"));
    }

    /** The options given; absent ones take the strategy's defaults at job creation, where all are validated. */
    public StrategyOptions strategyOptions() {
        StrategyOptions.Builder o = StrategyOptions.newBuilder();
        if (serverLr != null) {
            o.setServerLr(DoubleValue.of(serverLr));
        }
        if (serverMomentum != null) {
            o.setServerMomentum(DoubleValue.of(serverMomentum));
        }
        if (beta1 != null) {
            o.setBeta1(DoubleValue.of(beta1));
        }
        if (beta2 != null) {
            o.setBeta2(DoubleValue.of(beta2));
        }
        if (tau != null) {
            o.setTau(DoubleValue.of(tau));
        }
        if (fedproxMu != null) {
            o.setFedproxMu(DoubleValue.of(fedproxMu));
        }
        return o.build();
    }

    public io.fedlora.proto.v1.SchedulingOptions scheduling() {
        return io.fedlora.proto.v1.SchedulingOptions.newBuilder().setFairSelection(fairSelection)
                .setCooldownRounds(cooldownRounds).setOverSelection(overSelection)
                .setStragglerCutoffSeconds(stragglerCutoffSeconds).build();
    }

    public JobConfig toConfig() throws IOException {
        LlamaConfig cfg = LlamaConfig.readDir(model);
        AggregationMode mode = switch (aggregation) {
            case "exact" -> AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A;
            case "inexact" -> AggregationMode.AGGREGATION_MODE_INEXACT_BOTH;
            default -> throw new IllegalArgumentException("--aggregation must be exact or inexact, got '" + aggregation + "'");
        };
        LoraConfig lora = LoraConfig.newBuilder().setRank(rank).setAlpha(alpha).setDropout(dropout)
                .addAllTargetModules(targets).setAggregationMode(mode).setASeed(aSeed).build();
        JobConfig.Builder b = JobConfig.newBuilder();
        if (!insecurePlaintext) {
            b.setSecureAggregation(secureAggregation());
        }
        return b
                .setName(name)
                .setBaseModelId(model.toAbsolutePath().normalize().getFileName().toString())
                .setBaseModelSha256(CheckpointFiles.sha256(model))
                .setLora(lora)
                .setTraining(training())
                .setRounds(rounds)
                .setClientsPerRound(clientsPerRound)
                .setMinClients(minClients)
                .setRoundDeadlineSeconds(deadlineSeconds)
                .setStrategy(strategy())
                .setStrategyOptions(strategyOptions())
                .setScheduling(scheduling())
                .setAdapterLayout(LoraLayouts.of(cfg.loraSites(), rank, targets))
                .build();
    }
}
