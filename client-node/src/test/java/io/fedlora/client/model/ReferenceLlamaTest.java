package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LlamaModel} against the independent double-precision {@link ReferenceLlama}. */
class ReferenceLlamaTest {

    static final long[] TOKENS = {1, 7, 33, 12, 49, 0, 5, 21, 21, 40, 3, 17, 2, 30};

    @TempDir
    Path dir;

    /** Max |model - reference| over all logits, relative to the largest reference logit. */
    static double relativeError(Path checkpoint, long[] tokens) throws Exception {
        double[][] ref = ReferenceLlama.load(checkpoint).logits(tokens);
        float[] got;
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(checkpoint, m);
                NDManager step = model.manager().newSubManager()) {
            NDArray t = step.create(tokens, new Shape(1, tokens.length));
            got = model.forward(t, null, false).toFloatArray();
        }
        int v = ref[0].length;
        assertEquals(ref.length * v, got.length);
        double maxRef = 0;
        double maxDiff = 0;
        for (int t = 0; t < ref.length; t++) {
            for (int i = 0; i < v; i++) {
                maxRef = Math.max(maxRef, Math.abs(ref[t][i]));
                maxDiff = Math.max(maxDiff, Math.abs(ref[t][i] - got[t * v + i]));
            }
        }
        assertTrue(maxRef > 0.1, "logits too small to compare: " + maxRef);
        return maxDiff / maxRef;
    }

    private void check(LlamaConfig c, String name) throws Exception {
        Path ckpt = RandomCheckpoints.write(dir.resolve(name), c, name.hashCode());
        double err = relativeError(ckpt, TOKENS);
        assertTrue(err < 1e-4, name + ": relative error " + err);
    }

    @Test
    void llamaMatchesReference() throws Exception {
        check(RandomCheckpoints.llama(), "llama");
    }

    @Test
    void qwen2WithAttentionBiasAndTiedHeadMatchesReference() throws Exception {
        check(RandomCheckpoints.qwen2(), "qwen2");
    }

    @Test
    void mistralMatchesReference() throws Exception {
        check(RandomCheckpoints.mistral(), "mistral");
    }

    @Test
    void llamaWithAttentionBiasMatchesReference() throws Exception {
        LlamaConfig c = RandomCheckpoints.llama();
        c = new LlamaConfig(c.modelType(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), c.vocabSize(),
                true, c.maxPositionEmbeddings(), true, 1, 2, -1);
        check(c, "llama-bias");
    }

    @Test
    void qwen3WithQkNormsAndItsOwnHeadDimMatchesReference() throws Exception {
        check(RandomCheckpoints.qwen3(), "qwen3");
    }

    @Test
    void phi3WithFusedProjectionsAndSlidingWindowMatchesReference() throws Exception {
        check(RandomCheckpoints.phi3(), "phi3");
    }

    @Test
    void gemma2WithSoftCapsAndAlternatingWindowsMatchesReference() throws Exception {
        check(RandomCheckpoints.gemma2(), "gemma2");
    }

    @Test
    void gemma3WithLocalRopeBaseAndQkNormsMatchesReference() throws Exception {
        check(RandomCheckpoints.gemma3(), "gemma3");
    }

    /** Gemma 3 as older configs describe it: sliding_window_pattern instead of layer_types. */
    @Test
    void gemma3SlidingWindowPatternMatchesReference() throws Exception {
        Path ckpt = RandomCheckpoints.write(dir.resolve("gemma3-pattern"), RandomCheckpoints.gemma3(), 5);
        Path cfg = ckpt.resolve("config.json");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode n =
                (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(cfg.toFile());
        n.remove("layer_types");
        n.put("sliding_window_pattern", 2); // layers 0 and 2 slide, layer 1 is global
        json.writeValue(cfg.toFile(), n);
        assertEquals(java.util.List.of(LlamaConfig.Variant.SLIDING, LlamaConfig.Variant.FULL, LlamaConfig.Variant.SLIDING),
                LlamaConfig.read(cfg).variant().layerTypes());
        double err = relativeError(ckpt, TOKENS);
        assertTrue(err < 1e-4, "gemma3 pattern: relative error " + err);
    }

    @Test
    void familyConfigsRoundTripThroughConfigJson() throws Exception {
        for (LlamaConfig c : new LlamaConfig[] {RandomCheckpoints.qwen3(), RandomCheckpoints.phi3(),
                RandomCheckpoints.gemma2(), RandomCheckpoints.gemma3()}) {
            Path f = dir.resolve(c.modelType() + ".json");
            c.write(f);
            assertEquals(c, LlamaConfig.read(f));
        }
    }

    @Test
    void linearRopeScalingMatchesReference() throws Exception {
        check(RandomCheckpoints.llama().withRopeScaling(LlamaConfig.RopeScaling.linear(4.0)), "linear");
    }

    @Test
    void dynamicRopeScalingMatchesReference() throws Exception {
        check(RandomCheckpoints.mistral().withRopeScaling(LlamaConfig.RopeScaling.dynamic(2.0)), "dynamic");
    }

    @Test
    void llama3RopeScalingMatchesReferenceInEveryBand() throws Exception {
        // head_dim 8, theta 10000: wavelengths 6.3, 63, 628, 6283; with L = 64, low 1, high 8 the bands
        // are high (< 8) for the first, medium (8..64) for the second, low (> 64) for the rest.
        LlamaConfig c = RandomCheckpoints.llama().withRopeScaling(LlamaConfig.RopeScaling.llama3(8.0, 1.0, 8.0, 64));
        double[] plain = RandomCheckpoints.llama().ropeInverseFrequencies();
        double[] scaled = c.ropeInverseFrequencies();
        assertEquals(plain[0], scaled[0], 1e-15);
        assertTrue(scaled[1] < plain[1] && scaled[1] > plain[1] / 8, "medium band interpolates");
        assertEquals(plain[3] / 8, scaled[3], 1e-15);
        check(c, "llama3");
    }

    @Test
    void ropeScalingRoundTripsThroughConfigJson() throws Exception {
        LlamaConfig c = RandomCheckpoints.llama().withRopeScaling(LlamaConfig.RopeScaling.llama3(8.0, 1.0, 4.0, 8192));
        Path f = dir.resolve("config.json");
        c.write(f);
        assertEquals(c, LlamaConfig.read(f));
        assertNotEquals(RandomCheckpoints.llama(), LlamaConfig.read(f));
    }
}
