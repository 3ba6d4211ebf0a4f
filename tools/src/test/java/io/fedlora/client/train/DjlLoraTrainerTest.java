package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.demo.RandomModels;
import io.fedlora.client.model.TestModels;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.TensorSpec;
import io.fedlora.proto.v1.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlLoraTrainerTest {

    @TempDir
    static Path dir;
    static DjlLoraTrainer trainer;
    static List<InstructionExample> data;

    @BeforeAll
    static void setUp() throws Exception {
        RandomModels.write(dir.resolve("model"), TestModels.tiny(false), 11);
        data = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 16; i++) {
            data.add(DemoTask.pretrainingExample(rnd));
        }
        trainer = new DjlLoraTrainer(dir.resolve("model"), data);
    }

    @AfterAll
    static void tearDown() throws Exception {
        trainer.close();
    }

    static LoraConfig lora(AggregationMode mode, List<String> targets) {
        return LoraConfig.newBuilder().setRank(4).setAlpha(8).addAllTargetModules(targets)
                .setAggregationMode(mode).setASeed(5).build();
    }

    static TrainingConfig training(int steps, double lr) {
        return TrainingConfig.newBuilder().setLocalSteps(steps).setBatchSize(8).setLearningRate(lr).setMaxSeqLen(32)
                .setSeed(1).build();
    }

    /** Max |delta| over the A tensors and over the B tensors. */
    static double[] maxAbsByFactor(AdapterLayout layout, float[] delta) {
        double[] max = new double[2];
        int off = 0;
        for (TensorSpec t : layout.getTensorsList()) {
            int n = (int) t.getShapeList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            int which = LoraLayouts.isLoraA(t) ? 0 : 1;
            for (int i = off; i < off + n; i++) {
                max[which] = Math.max(max[which], Math.abs(delta[i]));
            }
            off += n;
        }
        return max;
    }

    @Test
    void exactModeFreezesAAndKeepsBaseWeights() throws Exception {
        LoraConfig lora = lora(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A, List.of("q_proj", "v_proj"));
        FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), lora.getASeed());
        float[] startCopy = start.values().clone();
        Map<String, float[]> baseBefore = new HashMap<>();
        trainer.model().weights().forEach((k, v) -> baseBefore.put(k, v.toFloatArray()));

        TrainOutcome o = trainer.train(new TrainRequest("job", 1, start, lora, training(3, 1e-2)));

        double[] max = maxAbsByFactor(start.layout(), o.delta());
        assertEquals(0.0, max[0], "A must not move in exact mode");
        assertTrue(max[1] > 0, "B must move");
        assertEquals(16, o.numExamples());
        assertEquals(3, o.steps());
        assertTrue(Double.isFinite(o.meanLoss()) && o.trainSeconds() > 0);
        assertArrayEquals(startCopy, start.values(), "the start adapter must not be modified");
        trainer.model().weights().forEach((k, v) -> assertArrayEquals(baseBefore.get(k), v.toFloatArray(), k));
    }

    @Test
    void inexactModeTrainsBothFactors() throws Exception {
        LoraConfig lora = lora(AggregationMode.AGGREGATION_MODE_INEXACT_BOTH, List.of("q_proj", "v_proj", "down_proj"));
        // A non-zero B so that A gets a gradient on the first step.
        FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), 9);
        TrainOutcome o = trainer.train(new TrainRequest("job", 1, start, lora, training(2, 1e-2)));
        double[] max = maxAbsByFactor(start.layout(), o.delta());
        assertTrue(max[0] > 0 && max[1] > 0, "both factors move: " + max[0] + ", " + max[1]);
    }

    @Test
    void trainingIsDeterministicForASeedAndRound() throws Exception {
        LoraConfig lora = lora(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A, List.of("q_proj", "v_proj"));
        FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), lora.getASeed());
        TrainOutcome a = trainer.train(new TrainRequest("job", 2, start, lora, training(2, 1e-2)));
        TrainOutcome b = trainer.train(new TrainRequest("job", 2, start, lora, training(2, 1e-2)));
        assertArrayEquals(a.delta(), b.delta());
    }

    @Test
    void aShortRunLowersTheLoss() throws Exception {
        LoraConfig lora = lora(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A, List.of("q_proj", "v_proj", "o_proj"));
        FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), lora.getASeed());
        EvalResult before = trainer.evaluate(start, lora.getAlpha(), data, 32);
        TrainOutcome o = trainer.train(new TrainRequest("job", 1, start, lora, training(25, 2e-2)));
        float[] after = start.values().clone();
        for (int i = 0; i < after.length; i++) {
            after[i] += o.delta()[i];
        }
        EvalResult trained = trainer.evaluate(new FlatAdapter(start.layout(), after), lora.getAlpha(), data, 32);
        assertTrue(trained.meanLoss() < before.meanLoss() - 0.05,
                "loss " + before.meanLoss() + " -> " + trained.meanLoss());
        assertEquals(16, trained.examples());
    }

    @Test
    void evaluationOfTheBaseModelMatchesAZeroAdapter() throws Exception {
        LoraConfig lora = lora(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A, List.of("q_proj", "v_proj"));
        FlatAdapter start = FlatAdapter.initial(trainer.layoutFor(lora), lora.getASeed());
        EvalResult none = trainer.exactMatch(null, lora.getAlpha(), data);
        EvalResult zeroB = trainer.exactMatch(start, lora.getAlpha(), data);
        assertEquals(none.meanLoss(), zeroB.meanLoss(), 1e-5);
        assertEquals(none.exactCount(), zeroB.exactCount());
        assertEquals(0, none.exactCount(), "a random model should not solve the task");
    }

    @Test
    void theHeldOutScoreIsOfTheRequestsStartAdapterAndNeedsHeldOutData() throws Exception {
        LoraConfig lora = lora(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A, List.of("q_proj", "v_proj"));
        float[] values = FlatAdapter.initial(trainer.layoutFor(lora), 9).values();
        SplittableRandom noise = new SplittableRandom(5);
        for (int i = 0; i < values.length; i++) {
            values[i] += (float) noise.nextDouble(-0.5, 0.5); // B non-zero too: not the base model
        }
        FlatAdapter start = new FlatAdapter(trainer.layoutFor(lora), values);
        TrainRequest request = new TrainRequest("job", 1, start, lora, training(1, 1e-2));
        assertTrue(trainer.evaluate(request).isEmpty(), "no held-out data: no score");
        assertEquals("f32", trainer.basePrecision(), "loaded without --base-quantization");
        List<InstructionExample> heldOut = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(99);
        for (int i = 0; i < 6; i++) {
            heldOut.add(DemoTask.pretrainingExample(rnd));
        }
        try {
            EvalResult got = trainer.withHeldOut(heldOut).evaluate(request).orElseThrow();
            EvalResult want = trainer.evaluate(start, lora.getAlpha(), heldOut, 32);
            assertEquals(6, got.examples(), "the held-out set, not the training data");
            assertEquals(want.meanLoss(), got.meanLoss(), 1e-9);
            assertEquals(want.exactCount(), got.exactCount());
            assertTrue(Math.abs(got.meanLoss() - trainer.evaluate(null, lora.getAlpha(), heldOut, 32).meanLoss()) > 1e-6,
                    "scored with the start adapter applied");
        } finally {
            trainer.withHeldOut(List.of());
        }
    }

    @Test
    void rejectsAStartAdapterOfAnotherLayout() {
        LoraConfig lora = lora(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A, List.of("q_proj", "v_proj"));
        LoraConfig other = lora.toBuilder().setRank(2).build();
        FlatAdapter wrong = FlatAdapter.initial(trainer.layoutFor(other), 1);
        assertThrows(IllegalArgumentException.class,
                () -> trainer.train(new TrainRequest("job", 1, wrong, lora, training(1, 1e-2))));
    }

    @Test
    void benchmarkReportsSpeedAndMemory() throws Exception {
        TrainingBenchmark.Result r = TrainingBenchmark.run(new TrainingBenchmark.Config(dir.resolve("model"), 4, 16, 4,
                List.of("q_proj", "v_proj"), 1, 2));
        assertTrue(r.msPerStep() > 0 && r.tokensPerSecond() > 0, r.toString());
        assertTrue(r.peakRssMb() > 0, r.toString());
    }
}
