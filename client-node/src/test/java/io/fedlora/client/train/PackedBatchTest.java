package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.data.Batch;
import io.fedlora.client.data.TokenizedExample;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.RandomCheckpoints;
import io.fedlora.client.model.TestModels;
import io.fedlora.proto.v1.AdapterLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Several examples to a row, attention kept inside each and rotary positions restarting at each: the
 * same per-example losses and the same summed gradient as one example per row (within 1e-5).
 */
class PackedBatchTest {

    /** The engine arrays of this class's tests; closed once they have all run. */
    private static final NDManager root = NDManager.newBaseManager();

    @AfterAll
    static void releaseEngineArrays() {
        root.close();
    }

    /** Seven examples of 3 to 12 tokens, prompts of 1 to 3 tokens; one with no answer token. */
    static List<TokenizedExample> examples(int vocab) {
        SplittableRandom r = new SplittableRandom(3);
        List<TokenizedExample> out = new ArrayList<>();
        for (int k = 0; k < 7; k++) {
            int len = 3 + r.nextInt(10);
            long[] ids = new long[len];
            for (int i = 0; i < len; i++) {
                ids[i] = 4 + r.nextInt(vocab - 4);
            }
            out.add(new TokenizedExample(ids, k == 4 ? len : 1 + r.nextInt(3), false));
        }
        return out;
    }

    @Test
    void packingLaysExamplesOutFirstFitWithPositionsRestarting() {
        List<TokenizedExample> ex = examples(TestModels.DEMO_VOCAB_SIZE);
        Batch packed = Batch.packed(ex, 16, TestModels.PAD);
        assertTrue(packed.size() < ex.size(), "fewer rows than examples: " + packed.size());
        assertEquals(ex.size(), packed.examples());
        assertEquals(Batch.of(ex, TestModels.PAD).answerTokens(), packed.answerTokens());
        int[] pos = packed.segments().positions();
        for (int i = 0; i < pos.length; i++) {
            int e = packed.exampleAt(i);
            if (e >= 0 && (i % packed.length() == 0 || packed.exampleAt(i - 1) != e)) {
                assertEquals(0, pos[i], "an example starts at position 0");
            }
        }
    }

    @Test
    void packedBatchGivesTheSameLossesAndGradients() {
        try (LlamaModel llama = LlamaModel.random(TestModels.tiny(false), 7, root);
                LlamaModel gemma2 = LlamaModel.random(RandomCheckpoints.gemma2(), 3, root);
                LlamaModel gemma3 = LlamaModel.random(RandomCheckpoints.gemma3(), 3, root)) {
            for (LlamaModel m : List.of(llama, gemma2, gemma3)) {
                for (StepOptions o : List.of(new StepOptions(4, false), new StepOptions(4, true))) {
                    assertPackedMatchesUnpacked(m, o);
                }
            }
        }
    }

    @Test
    void perExampleGradientsRefuseAPackedBatch() {
        try (LlamaModel model = LlamaModel.random(TestModels.tiny(false), 7, root);
                NDManager m = root.newSubManager()) {
            Batch packed = Batch.packed(examples(model.config().vocabSize()), 16, TestModels.PAD);
            assertThrows(IllegalArgumentException.class,
                    () -> PerExampleLora.gradients(model, null, List.of(), packed, 0, false, m, null));
        }
    }

    private static void assertPackedMatchesUnpacked(LlamaModel model, StepOptions options) {
        List<TokenizedExample> ex = examples(model.config().vocabSize());
        Batch unpacked = Batch.of(ex, TestModels.PAD);
        Batch packed = Batch.packed(ex, 16, TestModels.PAD);
        String which = model.config().modelType() + " " + options + ": ";
        // Per-example losses: each example's own mean.
        float[] lossRef = losses(model, unpacked, AnswerTokens.meanPerExample(unpacked), options, null);
        float[] lossPacked = losses(model, packed, AnswerTokens.meanPerExample(packed), options, null);
        for (int k = 0; k < ex.size(); k++) {
            assertEquals(lossRef[k], lossPacked[k], 1e-5 * Math.max(1, Math.abs(lossRef[k])), which + "example " + k);
        }
        // The batch mean's gradient.
        List<Float> gRef = new ArrayList<>();
        List<Float> gPacked = new ArrayList<>();
        losses(model, unpacked, AnswerTokens.meanOverBatch(unpacked), options, gRef);
        losses(model, packed, AnswerTokens.meanOverBatch(packed), options, gPacked);
        ChunkedLossTest.assertClose(toArray(gRef), toArray(gPacked), which);
    }

    /** Per-example losses of one backward with a fixed random adapter; its gradients into {@code gradients}. */
    private static float[] losses(LlamaModel model, Batch batch, AnswerTokens tokens, StepOptions options,
            List<Float> gradients) {
        AdapterLayout layout = LoraLayouts.of(model.config().loraSites(), 4, ChunkedLossTest.TARGETS);
        try (NDManager m = root.newSubManager();
                LoraAdapters lora = LoraAdapters.create(model, DpSgdTest.randomAdapter(layout, 4), 8, 0, m)) {
            List<NDArray> trainable = new ArrayList<>(lora.factors(false));
            trainable.addAll(lora.factors(true));
            trainable.forEach(p -> p.setRequiresGradient(true));
            try (NDManager step = m.newSubManager()) {
                float[] losses = AnswerLossBackward.run(model, model.projection(lora, false), batch, tokens, options,
                        step).perExampleLoss();
                JniUtils.setGradMode(false);
                for (NDArray p : trainable) {
                    NDArray g = p.getGradient();
                    g.attach(step);
                    if (gradients != null) {
                        for (float v : g.toFloatArray()) {
                            gradients.add(v);
                        }
                    }
                }
                return losses;
            } finally {
                trainable.forEach(p -> p.setRequiresGradient(false));
            }
        }
    }

    private static float[] toArray(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}
