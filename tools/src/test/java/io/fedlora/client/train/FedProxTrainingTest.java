package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

/** The proximal weight a task sends reaches local training on a tiny model and pulls the update in. */
class FedProxTrainingTest {

    @TempDir
    Path dir;

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    @Test
    void largerMuGivesAnUpdateCloserToTheGlobalAdapter() throws Exception {
        RandomModels.write(dir.resolve("model"), TestModels.tiny(false), 11);
        List<InstructionExample> data = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 16; i++) {
            data.add(DemoTask.pretrainingExample(rnd));
        }
        try (DjlLoraTrainer trainer = new DjlLoraTrainer(dir.resolve("model"), data)) {
            LoraConfig lora = LoraConfig.newBuilder().setRank(4).setAlpha(8).addTargetModules("q_proj")
                    .addTargetModules("v_proj").setAggregationMode(AggregationMode.AGGREGATION_MODE_INEXACT_BOTH)
                    .setASeed(5).build();
            FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), 5);
            TrainingConfig.Builder tc = TrainingConfig.newBuilder().setLocalSteps(12).setBatchSize(8)
                    .setLearningRate(3e-2).setMaxSeqLen(32).setSeed(1);
            float[] plain = trainer.train(new TrainRequest("job", 1, start, lora, tc.build())).delta();
            float[] again = trainer.train(new TrainRequest("job", 1, start, lora, tc.setProximalMu(0).build())).delta();
            assertArrayEquals(plain, again, "mu = 0 is plain training");
            float[] prox = trainer.train(new TrainRequest("job", 1, start, lora, tc.setProximalMu(50).build())).delta();
            double p = norm(plain);
            double q = norm(prox);
            assertTrue(p > 0 && q < 0.8 * p, "proximal update norm " + q + " vs plain " + p);
            assertThrows(IllegalArgumentException.class, () -> trainer.train(new TrainRequest("job", 1, start, lora,
                    tc.setProximalMu(-1).build())));
        }
    }
}
