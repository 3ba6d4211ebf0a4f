package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.demo.RandomModels;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.RandomCheckpoints;
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

/** Exact aggregation (frozen A, FFA-LoRA), plain and with DP-SGD, on a model of every new family. */
class FamilyTrainingTest {

    @TempDir
    Path dir;

    @Test
    void exactModeTrainsOnlyBInEveryFamily() throws Exception {
        List<InstructionExample> data = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 8; i++) {
            data.add(DemoTask.pretrainingExample(rnd));
        }
        for (LlamaConfig family : new LlamaConfig[] {RandomCheckpoints.qwen3(), RandomCheckpoints.phi3(),
                RandomCheckpoints.gemma2(), RandomCheckpoints.gemma3()}) {
            LlamaConfig c = TestModels.withDemoVocabulary(family);
            Path modelDir = RandomModels.write(dir.resolve(c.modelType()), c, 11);
            List<String> modules = c.loraSites().perLayer().stream().map(s -> s.target().module()).toList();
            LoraConfig lora = DjlLoraTrainerTest.lora(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A, modules);
            try (DjlLoraTrainer trainer = new DjlLoraTrainer(modelDir, data)) {
                for (boolean dp : new boolean[] {false, true}) {
                    TrainingConfig.Builder t = TrainingConfig.newBuilder().setLocalSteps(2).setBatchSize(4)
                            .setLearningRate(1e-2).setMaxSeqLen(32).setSeed(1);
                    if (dp) {
                        t.getDpBuilder().setNoiseMultiplier(0.5).setClipNorm(1).setSamplingRate(0.5).setDelta(1e-5);
                    }
                    FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), lora.getASeed());
                    TrainOutcome o = trainer.train(new TrainRequest("job", 1, start, lora, t.build()));
                    String what = c.modelType() + (dp ? " with DP-SGD" : "");
                    double[] max = DjlLoraTrainerTest.maxAbsByFactor(start.layout(), o.delta());
                    assertEquals(0.0, max[0], what + ": A must not move in exact mode");
                    assertTrue(max[1] > 0, what + ": B must move");
                    assertTrue(Double.isFinite(o.meanLoss()), what + ": loss " + o.meanLoss());
                }
            }
        }
    }
}
