package io.fedlora.deploy;

import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * For end-to-end tests whose coordinator and clients are processes of the packaged distribution
 * training the bundled tiny model: the class path those processes get, and a secure job for them.
 */
final class PackagedFederation {

    static final Path MODEL = Path.of("models/fedlora-tiny").toAbsolutePath();

    private PackagedFederation() {}

    /** Child processes run target/fedlora-deploy.jar and target/lib/*, as the release does. */
    static void useThePackagedDistribution() {
        System.setProperty("fedlora.classpath", Path.of("target/fedlora-deploy.jar").toAbsolutePath() + ":"
                + Path.of("target/lib").toAbsolutePath() + "/*");
    }

    /** A SecAgg+ job (a quarter may drop out, min 3) on the tiny model, LoRA rank 4 on q/v. */
    static JobConfig secureJob(String name, int rounds, int clients, int localSteps, int stageTimeoutSeconds)
            throws IOException {
        return JobConfig.newBuilder()
                .setName(name)
                .setBaseModelId("fedlora-tiny")
                .setBaseModelSha256(CheckpointFiles.sha256(MODEL))
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8).addTargetModules("q_proj")
                        .addTargetModules("v_proj").setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A)
                        .setASeed(3))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(localSteps).setBatchSize(8).setLearningRate(1e-2)
                        .setMaxSeqLen(32).setSeed(5))
                .setRounds(rounds)
                .setClientsPerRound(clients)
                .setMinClients(3)
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.25)
                        .setCorruptFraction(0).setClipNorm(10).setMaxWeight(1 << 12)
                        .setStageTimeoutSeconds(stageTimeoutSeconds))
                .setRoundDeadlineSeconds(120)
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(LoraLayouts.of(LlamaConfig.readDir(MODEL).loraSites(), 4, List.of("q_proj", "v_proj")))
                .build();
    }
}
