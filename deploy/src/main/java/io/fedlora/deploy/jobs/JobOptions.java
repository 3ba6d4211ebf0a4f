package io.fedlora.deploy.jobs;

import static io.fedlora.deploy.jobs.JobSettings.*;

import com.google.protobuf.DoubleValue;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.config.ConfigException;
import io.fedlora.config.ConfigValues;
import io.fedlora.coordinator.JobConfigValidator;
import io.fedlora.config.Setting;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.SchedulingOptions;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.StrategyOptions;
import io.fedlora.proto.v1.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * A job's configuration from its resolved {@link JobSettings}; the base model's identity and shapes come
 * from its directory.
 */
public final class JobOptions {

    private final ConfigValues values;

    public JobOptions(ConfigValues values) {
        this.values = values;
    }

    /** The settings this job was made from. */
    public ConfigValues values() {
        return values;
    }

    public SecureAggregationConfig secureAggregation() {
        return SecureAggregationConfig.newBuilder().setDropoutFraction(values.get(SECAGG_DROPOUT))
                .setCorruptFraction(values.get(SECAGG_CORRUPT)).setClipNorm(values.get(SECAGG_CLIP_NORM))
                .setMaxWeight(values.get(SECAGG_MAX_WEIGHT)).setStageTimeoutSeconds(values.get(SECAGG_STAGE_TIMEOUT))
                .build();
    }

    TrainingConfig training() {
        TrainingConfig.Builder t = TrainingConfig.newBuilder().setLocalSteps(values.get(LOCAL_STEPS))
                .setBatchSize(values.get(BATCH_SIZE)).setLearningRate(values.get(LEARNING_RATE))
                .setMaxSeqLen(values.get(MAX_SEQ_LEN)).setSeed(values.get(TRAIN_SEED));
        // Validated by the coordinator (and again by each client): never "no noise" by accident.
        values.find(DP_NOISE_MULTIPLIER).ifPresent(z -> t.getDpBuilder().setNoiseMultiplier(z)
                .setClipNorm(values.get(DP_CLIP_NORM)).setSamplingRate(values.get(DP_SAMPLING_RATE))
                .setDelta(values.get(DP_DELTA)));
        return t.build();
    }

    public Strategy strategy() {
        return values.get(STRATEGY_NAME);
    }

    /** The options given; absent ones take the strategy's defaults at job creation, where all are validated. */
    public StrategyOptions strategyOptions() {
        StrategyOptions.Builder o = StrategyOptions.newBuilder();
        ifGiven(SERVER_LR, x -> o.setServerLr(DoubleValue.of(x)));
        ifGiven(SERVER_MOMENTUM, x -> o.setServerMomentum(DoubleValue.of(x)));
        ifGiven(BETA1, x -> o.setBeta1(DoubleValue.of(x)));
        ifGiven(BETA2, x -> o.setBeta2(DoubleValue.of(x)));
        ifGiven(TAU, x -> o.setTau(DoubleValue.of(x)));
        ifGiven(FEDPROX_MU, x -> o.setFedproxMu(DoubleValue.of(x)));
        return o.build();
    }

    private void ifGiven(Setting<Double> s, Consumer<Double> set) {
        values.find(s).ifPresent(set);
    }

    public SchedulingOptions scheduling() {
        return SchedulingOptions.newBuilder().setFairSelection(values.get(FAIR_SELECTION))
                .setCooldownRounds(values.get(COOLDOWN_ROUNDS)).setOverSelection(values.get(OVER_SELECTION))
                .setStragglerCutoffSeconds(values.get(STRAGGLER_CUTOFF)).build();
    }

    /**
     * The job to send, checked by the coordinator's own validator first: every problem at once, each
     * naming its JobConfig field.
     *
     * @throws ConfigException listing the problems
     */
    public JobConfig toConfig() throws IOException {
        JobConfig config = build();
        List<String> problems = JobConfigValidator.problems(config, values.get(INSECURE_PLAINTEXT));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    private JobConfig build() throws IOException {
        Path model = values.get(MODEL);
        LlamaConfig cfg = LlamaConfig.readDir(model);
        int rank = values.get(RANK);
        LoraConfig lora = LoraConfig.newBuilder().setRank(rank).setAlpha(values.get(ALPHA))
                .setDropout(values.get(DROPOUT)).addAllTargetModules(values.get(TARGETS))
                .setAggregationMode(values.get(AGGREGATION_MODE)).setASeed(values.get(A_SEED)).build();
        JobConfig.Builder b = JobConfig.newBuilder();
        if (!values.get(INSECURE_PLAINTEXT)) {
            b.setSecureAggregation(secureAggregation());
        }
        return b
                .setName(values.get(NAME))
                .setBaseModelId(model.toAbsolutePath().normalize().getFileName().toString())
                .setBaseModelSha256(CheckpointFiles.sha256(model))
                .setLora(lora)
                .setTraining(training())
                .setRounds(values.get(ROUNDS))
                .setClientsPerRound(values.get(CLIENTS_PER_ROUND))
                .setMinClients(values.get(MIN_CLIENTS))
                .setRoundDeadlineSeconds(values.get(DEADLINE_SECONDS))
                .setStrategy(strategy())
                .setStrategyOptions(strategyOptions())
                .setScheduling(scheduling())
                .setAdapterLayout(LoraLayouts.of(cfg.loraSites(), rank, values.get(TARGETS)))
                .build();
    }
}
