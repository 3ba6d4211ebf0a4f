package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedlora.adapter.LoraSites;
import io.fedlora.adapter.TensorData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint of every family loaded with an NF4 base: the engine's dequantisation, the forward, the memory. */
class Nf4ModelTest {

    @TempDir
    Path dir;

    @Test
    void engineDequantisationEqualsTheReferenceForEveryQuantisedWeight() throws Exception {
        LlamaConfig c = RandomCheckpoints.llama();
        Path modelDir = RandomCheckpoints.write(dir.resolve("llama"), c, 3);
        Map<String, TensorData> stored = RandomCheckpoints.tensors(c, 3).stream()
                .collect(Collectors.toMap(TensorData::name, t -> t));
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(modelDir, m,
                BaseQuantization.NF4)) {
            LoraSites sites = c.loraSites();
            for (int layer = 0; layer < sites.layers(); layer++) {
                for (LoraSites.Site s : sites.perLayer()) {
                    String name = s.target().basePath(layer) + ".weight";
                    float[] expected = Nf4.quantize(stored.get(name).values(), stored.get(name).shape()).dequantize();
                    try (NDManager scope = m.newSubManager()) {
                        NDArray w = model.frozenWeight(layer, s.target()).in(scope);
                        assertEquals(new Shape(s.out(), s.in()), w.getShape(), name);
                        assertArrayEquals(expected, w.toFloatArray(), 0f, name); // the same float32 operations, in the same order
                    }
                }
            }
            assertThrows(IllegalArgumentException.class, () -> model.weight("model.layers.0.self_attn.q_proj.weight"));
            assertThrows(IllegalStateException.class, () -> model.save(dir.resolve("out")));
        }
    }

    @Test
    void everyFamilyRunsOnAnNf4BaseCloseToItsF32Logits() throws Exception {
        for (LlamaConfig c : List.of(RandomCheckpoints.llama(), RandomCheckpoints.qwen3(), RandomCheckpoints.phi3(),
                RandomCheckpoints.gemma2(), RandomCheckpoints.gemma3())) {
            Path modelDir = RandomCheckpoints.write(dir.resolve(c.modelType()), c, 7);
            try (NDManager m = NDManager.newBaseManager();
                    LlamaModel f32 = LlamaModel.load(modelDir, m);
                    LlamaModel nf4 = LlamaModel.load(modelDir, m, BaseQuantization.NF4)) {
                assertEquals(f32.parameterCount(), nf4.parameterCount(), c.modelType());
                assertTrue(nf4.weightBytes() < f32.weightBytes(), c.modelType());
                try (NDManager step = m.newSubManager()) {
                    NDArray tokens = step.create(new long[] {1, 5, 9, 2, 7, 3, 4, 8}, new Shape(2, 4));
                    float[] a = f32.forward(tokens, null, false).toFloatArray();
                    float[] b = nf4.forward(tokens, null, false).toFloatArray();
                    double num = 0;
                    double den = 0;
                    for (int i = 0; i < a.length; i++) {
                        num += (a[i] - b[i]) * (a[i] - b[i]);
                        den += a[i] * a[i];
                        assertTrue(Float.isFinite(b[i]), c.modelType());
                    }
                    double rel = Math.sqrt(num / den);
                    // 4-bit weights move the logits, but by a fraction of their size: not noise, not identical.
                    assertTrue(rel > 1e-4 && rel < 0.25, c.modelType() + ": relative logit error " + rel);
                }
            }
        }
    }

    @Test
    void theLinearLayersOfABiggerModelTakeUnderAnEighthOfTheirF32Memory() throws Exception {
        LlamaConfig c = new LlamaConfig("llama", 256, 704, 2, 4, 2, 64, 1e-5, 10000.0, 64, true, 64, false, 1, 2, 0);
        Path modelDir = RandomCheckpoints.write(dir.resolve("wide"), c, 1);
        try (NDManager m = NDManager.newBaseManager();
                LlamaModel f32 = LlamaModel.load(modelDir, m);
                LlamaModel nf4 = LlamaModel.load(modelDir, m, BaseQuantization.NF4)) {
            long embedding = 4L * c.vocabSize() * c.hiddenSize();
            long norms = 4L * c.hiddenSize() * (2 * c.numHiddenLayers() + 1);
            double linearRatio = (double) (nf4.weightBytes() - embedding - norms) / (f32.weightBytes() - embedding - norms);
            assertEquals(4.13 / 32, linearRatio, 0.002);
        }
    }
}
