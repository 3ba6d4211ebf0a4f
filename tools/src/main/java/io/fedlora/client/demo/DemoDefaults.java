package io.fedlora.client.demo;

import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.TrainingConfig;
import java.util.List;

/**
 * The demo federation's settings, chosen with {@link FedAvgSimulation} so that 4 client processes
 * on a 2-core machine reach a clear held-out gain within the demo's time budget.
 */
public final class DemoDefaults {

    public static final int CLIENTS = 4;
    public static final int ROUNDS = 5;
    public static final int LOCAL_STEPS = 80;
    public static final int BATCH_SIZE = 16;
    public static final double LEARNING_RATE = 1e-2;
    public static final int MAX_SEQ_LEN = 32;
    public static final int RANK = 8;
    public static final double ALPHA = 16;
    public static final double DROPOUT = 0.0;
    public static final List<String> TARGETS = List.of("q_proj", "v_proj");
    public static final AggregationMode AGGREGATION = AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A;
    public static final long A_SEED = 42;
    public static final long TRAINING_SEED = 1;
    /** Examples per client slice and in the held-out set, and the seed of the task generator. */
    public static final int EXAMPLES_PER_CLIENT = 256;
    public static final int HELD_OUT = 200;
    public static final long TASK_SEED = 2024;
    /** Where the committed base model lives, relative to the repository root. */
    public static final String MODEL_DIR = "deploy/models/fedlora-tiny";

    private DemoDefaults() {}

    public static LoraConfig lora() {
        return LoraConfig.newBuilder().setRank(RANK).setAlpha(ALPHA).setDropout(DROPOUT).addAllTargetModules(TARGETS)
                .setAggregationMode(AGGREGATION).setASeed(A_SEED).build();
    }

    public static TrainingConfig training() {
        return TrainingConfig.newBuilder().setLocalSteps(LOCAL_STEPS).setBatchSize(BATCH_SIZE)
                .setLearningRate(LEARNING_RATE).setMaxSeqLen(MAX_SEQ_LEN).setSeed(TRAINING_SEED).build();
    }
}
