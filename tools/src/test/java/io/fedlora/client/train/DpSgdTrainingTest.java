package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.demo.RandomModels;
import io.fedlora.client.model.TestModels;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DP-SGD end to end on a random model with the demo task's data (split from client-node's
 * DpSgdTest, which keeps the unit tests; this one needs the demo code of the tools module).
 */
class DpSgdTrainingTest {

    @TempDir
    static Path dir;

    @Test
    void aShortDpRunLowersTheLossWithMicroBatches() throws Exception {
        RandomModels.write(dir.resolve("model"), TestModels.tiny(false), 11);
        List<InstructionExample> data = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 16; i++) {
            data.add(DemoTask.pretrainingExample(rnd));
        }
        try (DjlLoraTrainer trainer = new DjlLoraTrainer(dir.resolve("model"), data)) {
            // q·N = 8 expected, micro-batches of 3: most steps need accumulation.
            trainer.withDpSeededForTesting(new DpSgdConfig(0.3, 0.05, 0.5, 3), 17);
            LoraConfig lora = LoraConfig.newBuilder().setRank(4).setAlpha(8).addAllTargetModules(
                    List.of("q_proj", "v_proj", "o_proj")).setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A)
                    .setASeed(5).build();
            FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), lora.getASeed());
            EvalResult before = trainer.evaluate(start, lora.getAlpha(), data, 32);
            TrainingConfig tc = TrainingConfig.newBuilder().setLocalSteps(25).setBatchSize(8).setLearningRate(2e-2)
                    .setMaxSeqLen(32).setSeed(1).build();
            TrainOutcome o = trainer.train(new TrainRequest("job", 1, start, lora, tc));
            float[] after = start.values().clone();
            for (int i = 0; i < after.length; i++) {
                after[i] += o.delta()[i];
            }
            EvalResult trained = trainer.evaluate(new FlatAdapter(start.layout(), after), lora.getAlpha(), data, 32);
            assertTrue(trained.meanLoss() < before.meanLoss() - 0.05,
                    "loss " + before.meanLoss() + " -> " + trained.meanLoss());
            assertEquals(25, o.steps());
            assertEquals(25, trainer.dpSteps());
            double eps = trainer.dpEpsilon(1e-5);
            assertTrue(eps > 0 && Double.isFinite(eps), "epsilon " + eps);
            assertTrue(Double.isFinite(o.meanLoss()));
        }
    }
}
