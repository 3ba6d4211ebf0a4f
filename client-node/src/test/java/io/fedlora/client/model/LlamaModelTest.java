package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedlora.adapter.SafetensorsFile;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.adapter.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaModelTest {

    @TempDir
    Path dir;

    private static final long[] TOKENS = {1, 10, 11, 12, 4, 13, 14, 4, 15, 16, 2};

    private static float[] logits(LlamaModel model, long[] tokens) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray t = step.create(tokens, new Shape(1, tokens.length));
            return model.forward(t, null, false).toFloatArray();
        }
    }

    @Test
    void attentionIsCausal() {
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(TestModels.tiny(false), 3, m)) {
            float[] a = logits(model, TOKENS);
            long[] changed = TOKENS.clone();
            changed[7] = 30;
            float[] b = logits(model, changed);
            int v = model.config().vocabSize();
            for (int i = 0; i < 7 * v; i++) {
                assertEquals(a[i], b[i], 1e-6, "position " + i / v + " saw a later token");
            }
            boolean laterChanged = false;
            for (int i = 7 * v; i < a.length; i++) {
                laterChanged |= Math.abs(a[i] - b[i]) > 1e-4;
            }
            assertTrue(laterChanged, "changing a token should change its own and later logits");
        }
    }

    @Test
    void groupedQueryAttentionEqualsMultiHeadWithRepeatedKeysAndValues() throws Exception {
        LlamaConfig gqa = TestModels.tiny(false);
        assertTrue(gqa.numKeyValueHeads() < gqa.numAttentionHeads());
        Path gqaDir = dir.resolve("gqa");
        Path mhaDir = dir.resolve("mha");
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(gqa, 5, m)) {
            model.save(gqaDir);
        }
        // Multi-head model whose head h uses GQA's kv head h / groups, as HF's repeat_kv defines it.
        LlamaConfig mha = TestModels.withKvHeads(gqa, gqa.numAttentionHeads());
        Files.createDirectories(mhaDir);
        mha.write(mhaDir.resolve("config.json"));
        List<TensorData> out = new ArrayList<>();
        int d = gqa.headDim();
        int h = gqa.hiddenSize();
        for (TensorData t : SafetensorsFile.open(gqaDir.resolve(LlamaModel.WEIGHTS_FILE)).readAll()) {
            if (t.name().endsWith("k_proj.weight") || t.name().endsWith("v_proj.weight")) {
                float[] rep = new float[gqa.numAttentionHeads() * d * h];
                for (int head = 0; head < gqa.numAttentionHeads(); head++) {
                    System.arraycopy(t.values(), (head / gqa.kvGroups()) * d * h, rep, head * d * h, d * h);
                }
                out.add(new TensorData(t.name(), new long[] {(long) gqa.numAttentionHeads() * d, h}, rep));
            } else {
                out.add(t);
            }
        }
        SafetensorsWriter.write(mhaDir.resolve(LlamaModel.WEIGHTS_FILE), out, Map.of());
        try (NDManager m = NDManager.newBaseManager(); LlamaModel a = LlamaModel.load(gqaDir, m);
                LlamaModel b = LlamaModel.load(mhaDir, m)) {
            assertArrayEquals(logits(a, TOKENS), logits(b, TOKENS), 1e-5f);
        }
    }

    @Test
    void savedCheckpointLoadsToTheSameLogits() throws Exception {
        for (boolean tied : new boolean[] {true, false}) {
            Path d = dir.resolve("m" + tied);
            try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(TestModels.tiny(tied), 9, m)) {
                float[] before = logits(model, TOKENS);
                model.save(d);
                try (LlamaModel loaded = LlamaModel.load(d, m)) {
                    assertEquals(model.parameterCount(), loaded.parameterCount());
                    assertArrayEquals(before, logits(loaded, TOKENS), 0f);
                }
            }
        }
    }

    @Test
    void missingOrMisshapenTensorNamesFileAndTensor() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(TestModels.tiny(true), 9, m)) {
            model.save(dir);
        }
        Path weights = dir.resolve(LlamaModel.WEIGHTS_FILE);
        List<TensorData> all = SafetensorsFile.open(weights).readAll();
        String victim = "model.layers.1.self_attn.v_proj.weight";
        SafetensorsWriter.write(weights, all.stream().filter(t -> !t.name().equals(victim)).toList(), Map.of());
        try (NDManager m = NDManager.newBaseManager()) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(dir, m));
            assertTrue(e.getMessage().contains(weights.toString()) && e.getMessage().contains(victim), e.getMessage());
        }
        List<TensorData> wrong = new ArrayList<>();
        for (TensorData t : all) {
            wrong.add(t.name().equals(victim) ? new TensorData(victim, new long[] {t.shape()[1], t.shape()[0]}, t.values()) : t);
        }
        SafetensorsWriter.write(weights, wrong, Map.of());
        try (NDManager m = NDManager.newBaseManager()) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(dir, m));
            assertTrue(e.getMessage().contains(victim) && e.getMessage().contains("shape"), e.getMessage());
        }
    }
}
