package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.OwnedArrays;
import io.fedlora.client.model.RandomCheckpoints;
import io.fedlora.client.model.TestModels;
import io.fedlora.proto.v1.AdapterLayout;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DpSgdTest {

    static NDManager root;
    static LlamaModel model;

    @BeforeAll
    static void setUp() {
        root = NDManager.newBaseManager();
        model = LlamaModel.random(TestModels.tiny(false), 7, root);
    }

    @AfterAll
    static void tearDown() {
        root.close();
    }

    /** Random adapter values (B non-zero, so A gets gradients too). */
    static FlatAdapter randomAdapter(AdapterLayout layout, long seed) {
        float[] v = new float[Math.toIntExact(LoraLayouts.totalElements(layout))];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 0.4 - 0.2);
        }
        return new FlatAdapter(layout, v);
    }

    /** N examples of length T with varied answer masks (one with trailing padding, one with no answer). */
    static Batch randomBatch(int n, int t, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] in = new long[n * t];
        long[] tgt = new long[n * t];
        float[] mask = new float[n * t];
        for (int b = 0; b < n; b++) {
            int promptLen = 1 + r.nextInt(t / 2);
            int end = b == 1 ? t - 3 : t;
            for (int i = 0; i < t; i++) {
                in[b * t + i] = r.nextInt(vocab);
                tgt[b * t + i] = r.nextInt(vocab);
                mask[b * t + i] = (b != 2 && i >= promptLen && i < end) ? 1f : 0f;
            }
        }
        return new Batch(in, tgt, mask, n, t);
    }

    static Batch row(Batch b, int i) {
        int t = b.length();
        return new Batch(java.util.Arrays.copyOfRange(b.inputs(), i * t, (i + 1) * t),
                java.util.Arrays.copyOfRange(b.targets(), i * t, (i + 1) * t),
                java.util.Arrays.copyOfRange(b.mask(), i * t, (i + 1) * t), 1, t);
    }

    @Test
    void forwardMatchesTheModel() {
        AdapterLayout layout = LoraLayouts.of(model.config().loraSites(), 4, List.of("q_proj", "k_proj", "v_proj", "o_proj",
                "gate_proj", "up_proj", "down_proj"));
        try (NDManager m = root.newSubManager();
                LoraAdapters lora = LoraAdapters.create(model, randomAdapter(layout, 3), 8, 0, m)) {
            JniUtils.setGradMode(false);
            Batch b = randomBatch(3, 10, model.config().vocabSize(), 1);
            float[] ref = model.forward(LmLoss.inputs(m, b), lora, false).toFloatArray();
            float[] ours = PerExampleLora.forward(model, lora, new IdentityHashMap<>(), LmLoss.inputs(m, b), 0, false)
                    .toFloatArray();
            assertEquals(ref.length, ours.length);
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], ours[i], 1e-5, "logit " + i);
            }
        }
    }

    @Test
    void perExampleGradientsMatchABatchOfOneLoop() {
        assertPerExampleGradientsMatchABatchOfOneLoop(model, List.of("q_proj", "v_proj", "up_proj", "down_proj"));
    }

    /**
     * The same through the other families' forward: Phi-3's fused projections (all four), Gemma 3's
     * norms around every branch and windowed attention, Qwen3's q/k norms.
     */
    @Test
    void perExampleGradientsMatchABatchOfOneLoopInOtherFamilies() {
        try (LlamaModel phi3 = LlamaModel.random(RandomCheckpoints.phi3(), 3, root);
                LlamaModel gemma3 = LlamaModel.random(RandomCheckpoints.gemma3(), 3, root);
                LlamaModel qwen3 = LlamaModel.random(RandomCheckpoints.qwen3(), 3, root)) {
            assertPerExampleGradientsMatchABatchOfOneLoop(phi3, List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj"));
            assertPerExampleGradientsMatchABatchOfOneLoop(gemma3, List.of("q_proj", "o_proj", "down_proj"));
            assertPerExampleGradientsMatchABatchOfOneLoop(qwen3, List.of("k_proj", "up_proj"));
        }
    }

    /**
     * With loss chunks smaller than the batch's answer tokens, and with layer checkpointing: each
     * example's gradient is still exactly its own (Gemma 2: through the final logit soft-cap).
     */
    @Test
    void perExampleGradientsStayExactWithChunkedLossAndCheckpointedLayers() {
        try (LlamaModel gemma2 = LlamaModel.random(RandomCheckpoints.gemma2(), 3, root)) {
            for (StepOptions o : List.of(new StepOptions(5, false), new StepOptions(5, true))) {
                List<String> targets = List.of("q_proj", "v_proj", "o_proj", "down_proj");
                assertPerExampleGradientsMatchABatchOfOneLoop(model, targets, o);
                assertPerExampleGradientsMatchABatchOfOneLoop(gemma2, targets, o);
            }
        }
    }

    static void assertPerExampleGradientsMatchABatchOfOneLoop(LlamaModel model, List<String> targets) {
        assertPerExampleGradientsMatchABatchOfOneLoop(model, targets, StepOptions.DEFAULT);
    }

    static void assertPerExampleGradientsMatchABatchOfOneLoop(LlamaModel model, List<String> targets,
            StepOptions options) {
        AdapterLayout layout = LoraLayouts.of(model.config().loraSites(), 4, targets);
        int n = 5;
        int t = 12;
        try (NDManager m = root.newSubManager();
                LoraAdapters lora = LoraAdapters.create(model, randomAdapter(layout, 4), 8, 0, m)) {
            List<NDArray> trainable = new ArrayList<>(lora.factors(false));
            trainable.addAll(lora.factors(true));
            Batch batch = randomBatch(n, t, model.config().vocabSize(), 2);
            float[][] per = new float[trainable.size()][];
            float[] losses = new float[n];
            try (NDManager step = m.newSubManager()) {
                NDArray[] g = PerExampleLora.gradients(model, lora, trainable, batch, 0, false, step, losses, options);
                for (int k = 0; k < g.length; k++) {
                    assertEquals(new Shape(n).addAll(trainable.get(k).getShape()), g[k].getShape());
                    per[k] = g[k].toFloatArray();
                }
            }
            trainable.forEach(p -> p.setRequiresGradient(true));
            double maxDiff = 0;
            double maxAbs = 0;
            for (int i = 0; i < n; i++) {
                Batch one = row(batch, i);
                try (NDManager step = m.newSubManager()) {
                    float loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        // Ordinary autograd on the shared 2-D factors, batch of one. Through PerExampleLora's
                        // forward with nothing expanded (equal to the model's forward: forwardMatchesTheModel),
                        // not model.forward: LoraLinear's mul(float) keeps a freed from_blob scalar for the
                        // backward and gave garbage gradients about once in 400 runs of this test.
                        NDArray l = LmLoss.maskedCrossEntropy(PerExampleLora.forward(model, lora, new IdentityHashMap<>(),
                                LmLoss.inputs(step, one), 0, false), one);
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    JniUtils.setGradMode(false);
                    assertEquals(loss, losses[i], 1e-5, "loss of example " + i);
                    for (int k = 0; k < trainable.size(); k++) {
                        NDArray grad = trainable.get(k).getGradient();
                        grad.attach(step);
                        float[] ref = grad.toFloatArray();
                        int size = ref.length;
                        for (int j = 0; j < size; j++) {
                            maxDiff = Math.max(maxDiff, Math.abs(ref[j] - per[k][i * size + j]));
                            maxAbs = Math.max(maxAbs, Math.abs(ref[j]));
                        }
                        grad.muli(0f);
                    }
                }
            }
            trainable.forEach(p -> p.setRequiresGradient(false));
            String which = model.config().modelType() + " " + options + ": ";
            assertTrue(maxAbs > 1e-3, which + "gradients should not be trivially zero: " + maxAbs);
            assertTrue(maxDiff <= 1e-5, which + "max |per-example - batch-of-one| = " + maxDiff + " (max |g| " + maxAbs
                    + ")");
        }
    }

    @Test
    void clippingBoundsEachExamplesContribution() {
        try (NDManager m = root.newSubManager()) {
            // Example norms over both tensors jointly: 10, 0.5, 3 (C = 1).
            float[] a = {6, 0, 0.3f, 0, 0, 0};
            float[] b = {0, 8, 0, 0, 0, 0, 0, 0.4f, 0, 0, 3, 0};
            NDArray ga = OwnedArrays.of(m, a, new Shape(3, 2));
            NDArray gb = OwnedArrays.of(m, b, new Shape(3, 2, 2));
            NDArray[] sum = {m.zeros(new Shape(2)), m.zeros(new Shape(2, 2))};
            int clipped = DpSgdStep.clipAndAccumulate(new NDArray[] {ga, gb}, 1.0, sum, m);
            assertEquals(2, clipped);
            float[] sa = sum[0].toFloatArray();
            float[] sb = sum[1].toFloatArray();
            // 0.1·ex0 + 1·ex1 + (1/3)·ex2
            assertEquals(0.6f + 0.3f, sa[0], 1e-6);
            assertEquals(0f, sa[1], 1e-6);
            assertEquals(0.8f, sb[1], 1e-6);
            assertEquals(0.4f, sb[3], 1e-6);
            assertEquals(1f, sb[2], 1e-6);
        }
    }

    @Test
    void clippedStepMovesParametersLikeABoundedGradient() {
        // Real per-example gradients clipped to a tiny C: the sum of 6 has norm <= 6C. Then an empty Poisson
        // sample still takes a (noise-only) step.
        AdapterLayout layout = LoraLayouts.of(model.config().loraSites(), 4, List.of("q_proj", "v_proj"));
        try (NDManager m = root.newSubManager();
                LoraAdapters lora = LoraAdapters.create(model, randomAdapter(layout, 5), 8, 0, m)) {
            List<NDArray> trainable = lora.factors(false);
            Batch batch = randomBatch(6, 8, model.config().vocabSize(), 3);
            try (NDManager step = m.newSubManager()) {
                NDArray[] g = PerExampleLora.gradients(model, lora, trainable, batch, 0, true, step, null);
                NDArray[] sum = new NDArray[g.length];
                for (int k = 0; k < g.length; k++) {
                    sum[k] = step.zeros(trainable.get(k).getShape());
                }
                double c = 1e-3;
                DpSgdStep.clipAndAccumulate(g, c, sum, step);
                double sq = 0;
                for (NDArray s : sum) {
                    sq += s.square().sum().getFloat();
                }
                assertTrue(Math.sqrt(sq) <= 6 * c * (1 + 1e-4), "sum of 6 clipped examples has norm <= 6C: " + Math.sqrt(sq));
            }
            float[] before = lora.factors(false).get(0).toFloatArray();
            try (AdamW opt = AdamW.standard(trainable, m, 0, 0)) {
                DpSgdStep.Stats st = DpSgdStep.run(model, lora, trainable, new int[0], idx -> {
                    throw new AssertionError("no batch for an empty sample");
                }, 4.0, new DpSgdConfig(1, 1, 0.5, 4), 0, GaussianNoise.seededForTesting(1), opt, 1e-2, m);
                assertEquals(0, st.sampleSize());
            }
            float[] after = lora.factors(false).get(0).toFloatArray();
            assertTrue(!java.util.Arrays.equals(before, after), "a noise-only step still moves the parameters");
        }
    }

    @Test
    void microBatchesGiveTheSameUpdateAsOnePhysicalBatch() {
        int vocab = model.config().vocabSize();
        SplittableRandom r = new SplittableRandom(8);
        int pool = 7;
        int[] lens = new int[pool];
        long[][] ids = new long[pool][];
        for (int k = 0; k < pool; k++) {
            lens[k] = 4 + r.nextInt(9);
            ids[k] = new long[lens[k] + 1];
            for (int i = 0; i <= lens[k]; i++) {
                ids[k][i] = r.nextInt(vocab);
            }
        }
        // Right-padded to the longest in the micro-batch, so micro-batches differ in length.
        java.util.function.Function<int[], Batch> batchOf = idx -> {
            int len = 0;
            for (int k : idx) {
                len = Math.max(len, lens[k]);
            }
            long[] in = new long[idx.length * len];
            long[] tgt = new long[idx.length * len];
            float[] mask = new float[idx.length * len];
            for (int b = 0; b < idx.length; b++) {
                for (int i = 0; i < lens[idx[b]]; i++) {
                    in[b * len + i] = ids[idx[b]][i];
                    tgt[b * len + i] = ids[idx[b]][i + 1];
                    mask[b * len + i] = i >= 2 ? 1f : 0f;
                }
            }
            return new Batch(in, tgt, mask, idx.length, len);
        };
        AdapterLayout layout = LoraLayouts.of(model.config().loraSites(), 4, List.of("q_proj", "v_proj", "down_proj"));
        int[] sample = {0, 2, 3, 5, 6};
        float[][] result = new float[2][];
        int[] physical = {2, 64};
        for (int run = 0; run < 2; run++) {
            try (NDManager m = root.newSubManager();
                    LoraAdapters lora = LoraAdapters.create(model, randomAdapter(layout, 6), 8, 0, m)) {
                List<NDArray> trainable = new ArrayList<>(lora.factors(false));
                trainable.addAll(lora.factors(true));
                try (NDManager step = m.newSubManager()) {
                    double[] stats = new double[2];
                    NDArray[] g = DpSgdStep.privateGradient(model, lora, trainable, sample, batchOf, 3.5,
                            new DpSgdConfig(0.5, 0.2, 0.5, physical[run]), 0, GaussianNoise.seededForTesting(4), step,
                            stats, StepOptions.DEFAULT);
                    List<Float> flat = new ArrayList<>();
                    for (NDArray x : g) {
                        for (float v : x.toFloatArray()) {
                            flat.add(v);
                        }
                    }
                    result[run] = new float[flat.size()];
                    for (int i = 0; i < flat.size(); i++) {
                        result[run][i] = flat.get(i);
                    }
                    assertTrue(stats[1] > 0, "some examples clipped");
                }
            }
        }
        for (int i = 0; i < result[0].length; i++) {
            assertEquals(result[1][i], result[0][i], 1e-6, "gradient entry " + i);
        }
    }
}
