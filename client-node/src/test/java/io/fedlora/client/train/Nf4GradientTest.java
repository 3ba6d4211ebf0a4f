package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraSites;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.adapter.TensorData;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.BaseQuantization;
import io.fedlora.client.model.FrozenWeight;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.Nf4;
import io.fedlora.client.model.RandomCheckpoints;
import io.fedlora.proto.v1.AdapterLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NF4 base is a constant to autograd: the LoRA gradients on it are exactly those on a float32 base
 * holding the dequantised values, in the batch path and in the per-example (DP-SGD) path, and the
 * dequantised weight itself never takes part in the gradient.
 */
class Nf4GradientTest {

    @TempDir
    Path dir;

    @Test
    void loraGradientsOnAnNf4BaseEqualThoseOnItsDequantisedF32Twin() throws Exception {
        LlamaConfig c = RandomCheckpoints.llama();
        List<TensorData> stored = RandomCheckpoints.tensors(c, 5);
        Path nf4Dir = write(dir.resolve("nf4"), c, stored);
        Path twinDir = write(dir.resolve("twin"), c, dequantisedTwin(c, stored));
        List<String> modules = c.loraSites().perLayer().stream().map(s -> s.target().module()).toList();
        AdapterLayout layout = LoraLayouts.of(c.loraSites(), 4, modules);
        FlatAdapter adapter = randomAdapter(layout, 9);
        Batch batch = randomBatch(c.vocabSize(), 3, 12, 4);
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel nf4 = LlamaModel.load(nf4Dir, root, BaseQuantization.NF4);
                LlamaModel twin = LlamaModel.load(twinDir, root, BaseQuantization.NONE)) {
            for (boolean perExample : new boolean[] {false, true}) {
                List<float[]> onNf4 = gradients(nf4, adapter, batch, perExample, root);
                List<float[]> onTwin = gradients(twin, adapter, batch, perExample, root);
                assertEquals(layout.getTensorsCount(), onNf4.size());
                String path = perExample ? "per-example path" : "batch path";
                for (int i = 0; i < onNf4.size(); i++) {
                    String what = path + ", factor " + i + " (A factors first, then B)";
                    assertArrayEquals(onTwin.get(i), onNf4.get(i), 0f, what);
                    assertTrue(maxAbs(onNf4.get(i)) > 0, what + ": no gradient");
                }
            }
        }
    }

    @Test
    void theDequantisedWeightNeverRequiresOrReceivesAGradient() throws Exception {
        LlamaConfig c = RandomCheckpoints.llama();
        Path nf4Dir = write(dir.resolve("nf4"), c, RandomCheckpoints.tensors(c, 5));
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel nf4 = LlamaModel.load(nf4Dir, root, BaseQuantization.NF4);
                NDManager step = root.newSubManager()) {
            FrozenWeight frozen = nf4.frozenWeight(0, c.loraSites().perLayer().get(0).target());
            NDArray x = step.randomNormal(new Shape(2, frozen.shape().get(1)));
            x.setRequiresGradient(true);
            NDArray w;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                w = frozen.in(step);
                assertFalse(w.hasGradient(), "the dequantised weight must not require a gradient");
                gc.backward(Linear.linear(x, w).head().sum());
            }
            JniUtils.setGradMode(false);
            assertFalse(w.hasGradient(), "the dequantised weight must not receive a gradient");
            // dL/dx of sum(x·Wᵀ) is the column sums of W in every row: the weight reached the backward as is.
            float[] expected = w.sum(new int[] {0}).toFloatArray();
            float[] dx = x.getGradient().toFloatArray();
            assertArrayEquals(expected, Arrays.copyOfRange(dx, 0, expected.length), 1e-5f);
        }
    }

    /** The checkpoint with every quantised (decoder-block linear) weight replaced by its NF4 dequantisation. */
    private static List<TensorData> dequantisedTwin(LlamaConfig c, List<TensorData> stored) {
        Set<String> quantised = new HashSet<>();
        LoraSites sites = c.loraSites();
        for (int layer = 0; layer < sites.layers(); layer++) {
            for (LoraSites.Site s : sites.perLayer()) {
                quantised.add(s.target().basePath(layer) + ".weight");
            }
        }
        List<TensorData> out = new ArrayList<>();
        for (TensorData t : stored) {
            out.add(quantised.contains(t.name())
                    ? new TensorData(t.name(), t.shape(), Nf4.quantize(t.values(), t.shape()).dequantize()) : t);
        }
        assertEquals(quantised.size(), out.stream().filter(t -> !stored.contains(t)).count());
        return out;
    }

    private static Path write(Path dir, LlamaConfig c, List<TensorData> tensors) throws Exception {
        Files.createDirectories(dir);
        c.write(dir.resolve("config.json"));
        SafetensorsWriter.write(dir.resolve(LlamaModel.WEIGHTS_FILE), tensors, Map.of("format", "pt"));
        return dir;
    }

    /** Gradients of the mean loss (batch path) or of the summed per-example losses, one array per factor. */
    private static List<float[]> gradients(LlamaModel model, FlatAdapter adapter, Batch batch, boolean perExample,
            NDManager root) {
        List<float[]> out = new ArrayList<>();
        try (NDManager step = root.newSubManager();
                LoraAdapters lora = LoraAdapters.create(model, adapter, 8, 0, step)) {
            List<NDArray> trainable = new ArrayList<>(lora.factors(true));
            trainable.addAll(lora.factors(false));
            if (perExample) {
                for (NDArray g : PerExampleLora.gradients(model, lora, trainable, batch, 0, false, step, null)) {
                    out.add(g.sum(new int[] {0}).toFloatArray());
                }
                return out;
            }
            trainable.forEach(p -> p.setRequiresGradient(true));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(LmLoss.maskedCrossEntropy(model.forward(LmLoss.inputs(step, batch), lora, false), batch));
            }
            JniUtils.setGradMode(false);
            for (NDArray p : trainable) {
                out.add(p.getGradient().toFloatArray());
            }
            return out;
        }
    }

    /** Both factors non-zero, so that A's gradient (which goes through B) is not zero. */
    private static FlatAdapter randomAdapter(AdapterLayout layout, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[FlatAdapter.initial(layout, seed).values().length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (0.1 * (rnd.nextDouble() * 2 - 1));
        }
        return new FlatAdapter(layout, v);
    }

    private static Batch randomBatch(int vocab, int n, int len, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] in = new long[n * len];
        long[] tgt = new long[n * len];
        float[] mask = new float[n * len];
        for (int i = 0; i < in.length; i++) {
            in[i] = rnd.nextInt(vocab);
            tgt[i] = rnd.nextInt(vocab);
            mask[i] = i % len >= len / 3 ? 1f : 0f;
        }
        return new Batch(in, tgt, mask, n, len);
    }

    private static double maxAbs(float[] v) {
        double max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        return max;
    }
}
