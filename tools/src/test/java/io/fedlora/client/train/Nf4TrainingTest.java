package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.demo.RandomModels;
import io.fedlora.client.model.BaseQuantization;
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

/** QLoRA: LoRA on an NF4 base trains through the dequantised weights, plainly and with per-example DP-SGD. */
class Nf4TrainingTest {

    @TempDir
    Path dir;

    @Test
    void loraOnAnNf4BaseMovesLikeOnItsF32Base() throws Exception {
        List<InstructionExample> data = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 8; i++) {
            data.add(DemoTask.pretrainingExample(rnd));
        }
        LlamaConfig c = TestModels.withDemoVocabulary(RandomCheckpoints.qwen3());
        Path modelDir = RandomModels.write(dir.resolve("qwen3"), c, 11);
        List<String> modules = c.loraSites().perLayer().stream().map(s -> s.target().module()).toList();
        LoraConfig lora = DjlLoraTrainerTest.lora(AggregationMode.AGGREGATION_MODE_INEXACT_BOTH, modules);
        for (boolean dp : new boolean[] {false, true}) {
            TrainingConfig.Builder t = TrainingConfig.newBuilder().setLocalSteps(2).setBatchSize(4)
                    .setLearningRate(1e-2).setMaxSeqLen(32).setSeed(1);
            if (dp) {
                t.getDpBuilder().setNoiseMultiplier(1).setClipNorm(1).setSamplingRate(0.5).setDelta(1e-5);
            }
            float[][] deltas = new float[2][];
            for (BaseQuantization q : BaseQuantization.values()) {
                try (DjlLoraTrainer trainer = new DjlLoraTrainer(modelDir, data, q)) {
                    assertEquals(q == BaseQuantization.NF4 ? "nf4" : "f32", trainer.basePrecision(), "sent with its updates");
                    FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), lora.getASeed());
                    TrainOutcome o = trainer.train(new TrainRequest("job", 1, start, lora, t.build()));
                    assertTrue(Double.isFinite(o.meanLoss()), q + ": loss " + o.meanLoss());
                    deltas[q.ordinal()] = o.delta();
                }
            }
            assertEquals(deltas[0].length, deltas[1].length);
            double dot = 0;
            double a = 0;
            double b = 0;
            for (int i = 0; i < deltas[0].length; i++) {
                dot += (double) deltas[0][i] * deltas[1][i];
                a += (double) deltas[0][i] * deltas[0][i];
                b += (double) deltas[1][i] * deltas[1][i];
            }
            double cosine = dot / Math.sqrt(a * b);
            String what = dp ? "with DP-SGD" : "plain";
            assertTrue(b > 0, what + ": the NF4 run's adapter must move");
            if (dp) {
                continue; // DP-SGD draws its batches and noise from a secure source: no two runs match
            }
            // Same data, seeds and start: the 4-bit base changes the gradients a little, not their direction.
            assertTrue(cosine > 0.8 && cosine < 1 - 1e-9, what + ": cosine of the F32 and NF4 updates " + cosine);
        }
    }
}
