package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.RandomCheckpoints;
import io.fedlora.client.model.TestModels;
import io.fedlora.proto.v1.AdapterLayout;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chunked answer-token loss and layer checkpointing change memory, not gradients: both match one
 * backward through full [B, T, vocab] logits ({@link LmLoss#maskedCrossEntropy}) within 1e-5 relative.
 * The per-example (DP-SGD) path's test is in {@link DpSgdTest}.
 */
class ChunkedLossTest {

    static NDManager root;

    @BeforeAll
    static void setUp() {
        root = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        root.close();
    }

    static final List<String> TARGETS = List.of("q_proj", "v_proj", "o_proj", "down_proj");
    static final StepOptions SMALL_CHUNKS = new StepOptions(5, false);

    @Test
    void chunkedLossGivesTheFullLogitsGradient() {
        try (LlamaModel model = LlamaModel.random(TestModels.tiny(false), 7, root)) {
            assertPlainStepMatchesFullLogits(model, SMALL_CHUNKS);
            assertPlainStepMatchesFullLogits(model, new StepOptions(1000, false));
        }
    }

    /** Gemma 2: (1 + w) norms, tied head and a final logit soft-cap (1.5) inside the chunked head. */
    @Test
    void chunkedLossGivesTheFullLogitsGradientThroughASoftCap() {
        try (LlamaModel gemma2 = LlamaModel.random(RandomCheckpoints.gemma2(), 3, root)) {
            assertTrue(gemma2.config().variant().finalLogitSoftcapping() > 0);
            assertPlainStepMatchesFullLogits(gemma2, SMALL_CHUNKS);
            assertPlainStepMatchesFullLogits(gemma2, SMALL_CHUNKS.withCheckpointLayers(true));
        }
    }

    @Test
    void checkpointedLayersGiveTheSameGradient() {
        try (LlamaModel model = LlamaModel.random(TestModels.tiny(false), 7, root);
                LlamaModel gemma3 = LlamaModel.random(RandomCheckpoints.gemma3(), 3, root)) {
            assertPlainStepMatchesFullLogits(model, SMALL_CHUNKS.withCheckpointLayers(true));
            assertPlainStepMatchesFullLogits(gemma3, StepOptions.DEFAULT.withCheckpointLayers(true));
        }
    }

    @Test
    void aBatchWithoutAnswerTokensHasZeroLossAndGradient() {
        try (LlamaModel model = LlamaModel.random(TestModels.tiny(false), 7, root)) {
            Batch batch = DpSgdTest.randomBatch(2, 6, model.config().vocabSize(), 5);
            Batch empty = new Batch(batch.inputs(), batch.targets(), new float[batch.mask().length], 2, 6);
            for (StepOptions o : List.of(SMALL_CHUNKS, SMALL_CHUNKS.withCheckpointLayers(true))) {
                Gradients g = chunked(model, empty, o);
                assertEquals(0f, g.loss);
                for (float v : g.values) {
                    assertEquals(0f, v);
                }
            }
        }
    }

    /** Held-out scoring in chunks: the same NLL and exact matches as from full logits. */
    @Test
    void scoringInChunksMatchesFullLogits() {
        try (LlamaModel model = LlamaModel.random(TestModels.tiny(false), 7, root);
                NDManager m = root.newSubManager()) {
            JniUtils.setGradMode(false);
            Batch random = DpSgdTest.randomBatch(3, 9, model.config().vocabSize(), 2);
            NDArray logits = model.forward(LmLoss.inputs(m, random), null, false);
            // Row 0's targets are the model's own argmax: an exact match. Rows 1 and 2 keep random ones.
            long[] argmax = logits.argMax(-1).toLongArray();
            long[] targets = random.targets().clone();
            System.arraycopy(argmax, 0, targets, 0, 9);
            Batch batch = new Batch(random.inputs(), targets, random.mask(), 3, 9);
            float ref = LmLoss.maskedCrossEntropy(logits, batch).getFloat() * batch.answerTokens();
            boolean[] exact = new boolean[3];
            float ours = LmLoss.nllSum(model, null, batch, exact, 4, m);
            assertEquals(ref, ours, 1e-5 * ref);
            assertTrue(exact[0], "row 0 predicts its targets");
            assertTrue(!exact[1] && !exact[2], "random targets, and row 2 has no answer token");
        }
    }

    /**
     * With LoRA dropout, the re-run of each layer must draw the forward's masks: then the checkpointed
     * gradient is the derivative of the loss the step reports, which a central difference along the
     * gradient checks (same engine seed each time, so the forward's masks repeat). Masks drawn afresh
     * in the re-run (the reseeding removed) give a gradient of another loss, far off this one.
     */
    @Test
    void checkpointedLayersWithDropoutDifferentiateTheReportedLoss() {
        try (LlamaModel model = LlamaModel.random(TestModels.tiny(false), 7, root)) {
            Batch batch = DpSgdTest.randomBatch(4, 9, model.config().vocabSize(), 11);
            StepOptions options = SMALL_CHUNKS.withCheckpointLayers(true);
            DropoutStep at = withDropout(model, batch, options, null, 0);
            double norm = 0;
            for (float[] g : at.gradients) {
                for (float v : g) {
                    norm += (double) v * v;
                }
            }
            norm = Math.sqrt(norm);
            assertTrue(norm > 1e-3, "a gradient to follow: " + norm);
            double eps = 1e-2;
            double slope = (withDropout(model, batch, options, at.gradients, eps / norm).loss
                    - withDropout(model, batch, options, at.gradients, -eps / norm).loss) / (2 * eps);
            assertEquals(norm, slope, 0.05 * norm, "the loss's slope along the gradient is the gradient's norm");
        }
    }

    private record DropoutStep(float loss, List<float[]> gradients) {}

    /**
     * One checkpointed step with dropout 0.5 on every adapter, the engine seeded alike every time; the
     * trainable factors first moved by {@code scale * direction} when a direction is given.
     */
    private static DropoutStep withDropout(LlamaModel model, Batch batch, StepOptions options, List<float[]> direction,
            double scale) {
        AdapterLayout layout = LoraLayouts.of(model.config().loraSites(), 4, TARGETS);
        try (NDManager m = root.newSubManager();
                LoraAdapters lora = LoraAdapters.create(model, DpSgdTest.randomAdapter(layout, 4), 8, 0.5, m)) {
            List<NDArray> trainable = new ArrayList<>(lora.factors(false));
            trainable.addAll(lora.factors(true));
            JniUtils.setGradMode(false);
            for (int i = 0; direction != null && i < trainable.size(); i++) {
                NDArray p = trainable.get(i);
                p.addi(m.create(direction.get(i), p.getShape()).mul((float) scale));
            }
            trainable.forEach(p -> p.setRequiresGradient(true));
            Engine.getInstance().setRandomSeed(1234);
            float loss;
            List<float[]> gradients = new ArrayList<>();
            try (NDManager step = m.newSubManager()) {
                loss = AnswerLossBackward.run(model, model.projection(lora, true), batch,
                        AnswerTokens.meanOverBatch(batch), options, step).loss();
                JniUtils.setGradMode(false);
                for (NDArray p : trainable) {
                    NDArray grad = p.getGradient();
                    grad.attach(step);
                    gradients.add(grad.toFloatArray());
                }
            }
            trainable.forEach(p -> p.setRequiresGradient(false));
            return new DropoutStep(loss, gradients);
        }
    }

    private record Gradients(float loss, float[] values) {}

    static void assertPlainStepMatchesFullLogits(LlamaModel model, StepOptions options) {
        Batch batch = DpSgdTest.randomBatch(4, 9, model.config().vocabSize(), 11);
        assertTrue(batch.answerTokens() > options.lossChunk() || options.lossChunk() > 100, "several chunks");
        Gradients ref = fullLogits(model, batch);
        Gradients ours = chunked(model, batch, options);
        String which = model.config().modelType() + " " + options + ": ";
        assertEquals(ref.loss, ours.loss, 1e-5 * Math.abs(ref.loss), which + "loss");
        assertClose(ref.values, ours.values, which);
    }

    static void assertClose(float[] ref, float[] ours, String which) {
        assertEquals(ref.length, ours.length);
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < ref.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ref[i] - ours[i]));
            maxAbs = Math.max(maxAbs, Math.abs(ref[i]));
        }
        assertTrue(maxAbs > 1e-4, which + "gradients should not be trivially zero: " + maxAbs);
        assertTrue(maxDiff <= 1e-5 * maxAbs, which + "max |chunked - full| = " + maxDiff + ", max |g| " + maxAbs);
    }

    /** The old step: full logits from the model's forward, one backward of the masked mean. */
    private static Gradients fullLogits(LlamaModel model, Batch batch) {
        return withAdapter(model, (lora, step) -> {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // Through PerExampleLora's forward with nothing expanded: see DpSgdTest on LoraLinear's scalar.
                NDArray l = LmLoss.maskedCrossEntropy(PerExampleLora.forward(model, lora, new IdentityHashMap<>(),
                        LmLoss.inputs(step, batch), 0, false), batch);
                gc.backward(l);
                return l.getFloat();
            }
        });
    }

    private static Gradients chunked(LlamaModel model, Batch batch, StepOptions options) {
        return withAdapter(model, (lora, step) -> {
            return AnswerLossBackward.run(model, model.projection(lora, false), batch, AnswerTokens.meanOverBatch(batch),
                    options, step).loss();
        });
    }

    private interface Backward {
        float run(LoraAdapters lora, NDManager step);
    }

    /** Runs {@code backward} with a random adapter (A and B trainable) and returns loss and gradients. */
    private static Gradients withAdapter(LlamaModel model, Backward backward) {
        AdapterLayout layout = LoraLayouts.of(model.config().loraSites(), 4, TARGETS);
        try (NDManager m = root.newSubManager();
                LoraAdapters lora = LoraAdapters.create(model, DpSgdTest.randomAdapter(layout, 4), 8, 0, m)) {
            List<NDArray> trainable = new ArrayList<>(lora.factors(false));
            trainable.addAll(lora.factors(true));
            trainable.forEach(p -> p.setRequiresGradient(true));
            float loss;
            List<Float> values = new ArrayList<>();
            try (NDManager step = m.newSubManager()) {
                loss = backward.run(lora, step);
                JniUtils.setGradMode(false);
                for (NDArray p : trainable) {
                    NDArray g = p.getGradient();
                    g.attach(step);
                    for (float v : g.toFloatArray()) {
                        values.add(v);
                    }
                }
            }
            trainable.forEach(p -> p.setRequiresGradient(false));
            float[] out = new float[values.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = values.get(i);
            }
            return new Gradients(loss, out);
        }
    }
}
