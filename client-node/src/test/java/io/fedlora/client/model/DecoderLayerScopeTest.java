package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each decoder layer releases its temporaries as it ends: after a training forward pass the caller's
 * manager holds a few arrays per layer, not the dozens a layer makes, and backward still reaches the
 * LoRA factors (autograd keeps what it needs by its own reference).
 */
class DecoderLayerScopeTest {

    @TempDir
    Path dir;

    @Test
    void aLayerLeavesOnlyItsOutputBehindAndBackwardStillWorks() throws Exception {
        for (LlamaConfig c : List.of(RandomCheckpoints.llama(), RandomCheckpoints.qwen3(), RandomCheckpoints.phi3(),
                RandomCheckpoints.gemma2(), RandomCheckpoints.gemma3())) {
            Path modelDir = RandomCheckpoints.write(dir.resolve(c.modelType()), c, 2);
            List<String> modules = c.loraSites().perLayer().stream().map(s -> s.target().module()).toList();
            for (BaseQuantization q : BaseQuantization.values()) {
                try (NDManager root = NDManager.newBaseManager();
                        LlamaModel model = LlamaModel.load(modelDir, root, q);
                        NDManager step = root.newSubManager();
                        LoraAdapters lora = LoraAdapters.create(model, nonZero(c, modules), 8, 0, step)) {
                    List<NDArray> b = lora.factors(false);
                    b.forEach(p -> p.setRequiresGradient(true));
                    int before = step.getManagedArrays().size();
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray tokens = step.create(new long[] {1, 5, 9, 2, 7, 3, 4, 8}, new Shape(2, 4));
                        NDArray logits = model.forward(tokens, lora, true);
                        int held = step.getManagedArrays().size() - before;
                        // Tokens, embedding, rotary tables, masks, final norm, logits, and per layer its
                        // input and output: a layer's own temporaries are some 40 arrays.
                        int bound = 4 * c.numHiddenLayers() + 20;
                        assertTrue(held <= bound, c.modelType() + " " + q + ": " + held + " arrays held after the "
                                + "forward pass, more than " + bound);
                        gc.backward(logits.square().mean());
                    }
                    JniUtils.setGradMode(false);
                    for (NDArray p : b) {
                        assertTrue(p.getGradient().abs().sum().getFloat() > 0, c.modelType() + " " + q);
                    }
                }
            }
        }
    }

    private static FlatAdapter nonZero(LlamaConfig c, List<String> modules) {
        FlatAdapter initial = FlatAdapter.initial(LoraLayouts.of(c.loraSites(), 4, modules), 3);
        float[] v = initial.values().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] == 0 ? 0.01f * ((i % 7) - 3) : v[i];
        }
        return new FlatAdapter(initial.layout(), v);
    }
}
