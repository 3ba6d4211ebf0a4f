package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.LoraSites;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.adapter.SafetensorsFile;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.adapter.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A decoder of any {@link ModelFamily} (Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma 2, Gemma 3) as
 * explicit NDArray computation over weights that keep their Hugging Face names and [out, in]
 * orientation; the family writes the forward pass, this class holds the weights and the LoRA hook.
 *
 * <p>Written as plain NDArray ops with weights held in a name map rather than DJL Blocks and
 * Parameters: LoRA training swaps per-round adapters in and out of specific projections, and
 * pretraining makes every weight trainable; both are a matter of which arrays have
 * {@code setRequiresGradient(true)}, with one forward for all of them.
 *
 * <p>Op results land in the manager of their first operand, so {@link #forward} always starts from
 * the caller's token array: pass tokens created in a per-step sub-manager and every activation is
 * freed with it.
 */
public final class LlamaModel implements AutoCloseable {

    public static final String WEIGHTS_FILE = "model.safetensors";

    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> weights;
    private final Map<String, Nf4Weight> quantized;
    private final BaseQuantization quantization;

    private LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> weights) {
        this(config, manager, weights, Map.of(), BaseQuantization.NONE);
    }

    private LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> weights,
            Map<String, Nf4Weight> quantized, BaseQuantization quantization) {
        this.config = config;
        this.manager = manager;
        this.weights = Collections.unmodifiableMap(weights);
        this.quantized = Collections.unmodifiableMap(quantized);
        this.quantization = quantization;
    }

    /** Names of the weights {@link BaseQuantization#NF4} quantises: every LoRA-wrappable linear layer's. */
    static Set<String> quantizable(LlamaConfig c) {
        Set<String> out = new HashSet<>();
        LoraSites sites = c.family().loraSites(c);
        for (int layer = 0; layer < sites.layers(); layer++) {
            for (LoraSites.Site s : sites.perLayer()) {
                out.add(s.target().basePath(layer) + ".weight");
            }
        }
        return out;
    }

    /** Hugging Face names and shapes of every weight this model needs, in a stable order. */
    public static Map<String, long[]> expectedShapes(LlamaConfig c) {
        return c.family().weightShapes(c);
    }

    /**
     * Loads {@code config.json} and the safetensors weights from a model directory: one
     * {@code model.safetensors}, or the shards named by {@code model.safetensors.index.json}
     * (every shard must exist; a missing one is an error naming it). Each tensor is taken from the
     * shard whose header holds it; extra tensors are ignored.
     *
     * <p>Memory: the weights exist once, in the engine. Each tensor is read from its file in blocks of
     * whole rows into one reused direct buffer (F16/BF16 widened to float32 there), and each block is
     * copied straight into the engine array; no Java array or second copy of a tensor is made, so the
     * peak is the float32 weights plus {@value #STAGING_BYTES} bytes.
     */
    public static LlamaModel load(Path modelDir, NDManager parent) throws IOException {
        return load(modelDir, parent, BaseQuantization.NONE);
    }

    /**
     * As {@link #load(Path, NDManager)}, with the decoder blocks' linear weights held as {@code quantization}
     * says: for NF4, each is quantised block by block as it is read, so its float32 form never exists whole.
     */
    public static LlamaModel load(Path modelDir, NDManager parent, BaseQuantization quantization) throws IOException {
        return load(modelDir, parent, STAGING_BYTES, quantization);
    }

    static final int STAGING_BYTES = 8 << 20;

    static LlamaModel load(Path modelDir, NDManager parent, int stagingBytes) throws IOException {
        return load(modelDir, parent, stagingBytes, BaseQuantization.NONE);
    }

    static LlamaModel load(Path modelDir, NDManager parent, int stagingBytes, BaseQuantization quantization)
            throws IOException {
        LlamaConfig config = LlamaConfig.readDir(modelDir);
        List<Path> files = CheckpointFiles.weightFiles(modelDir);
        Path where = files.size() == 1 && files.get(0).getFileName().toString().equals(WEIGHTS_FILE)
                ? files.get(0) : modelDir.resolve(CheckpointFiles.INDEX);
        Map<String, SafetensorsFile> holder = new HashMap<>();
        for (Path f : files) {
            SafetensorsFile st = SafetensorsFile.open(f);
            for (String name : st.entries().keySet()) {
                SafetensorsFile before = holder.put(name, st);
                if (before != null) {
                    throw new ModelFormatException(f, "tensor " + name + " is also in " + before.file().getFileName());
                }
            }
        }
        Map<String, long[]> expected = expectedShapes(config);
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            SafetensorsFile st = holder.get(e.getKey());
            if (st == null) {
                throw new ModelFormatException(where, "tensor " + e.getKey() + " is missing"
                        + (files.size() > 1 ? " from every shard" : ""));
            }
            long[] shape = st.entries().get(e.getKey()).shape();
            if (!Arrays.equals(shape, e.getValue())) {
                throw new ModelFormatException(st.file(), "tensor " + e.getKey() + " has shape "
                        + Arrays.toString(shape) + ", config.json implies " + Arrays.toString(e.getValue()));
            }
        }
        NDManager m = parent.newSubManager();
        try {
            ByteBuffer staging = ByteBuffer.allocateDirect(stagingBytes).order(ByteOrder.nativeOrder());
            Map<String, NDArray> w = new LinkedHashMap<>();
            Map<String, Nf4Weight> q = new LinkedHashMap<>();
            Set<String> toQuantize = quantization == BaseQuantization.NF4 ? quantizable(config) : Set.of();
            NDArray codePairs = toQuantize.isEmpty() ? null : Nf4Weight.codePairs(m);
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                if (toQuantize.contains(e.getKey())) {
                    q.put(e.getKey(), new Nf4Weight(readQuantized(holder.get(e.getKey()), e.getKey(), e.getValue(),
                            staging), codePairs, m));
                } else {
                    w.put(e.getKey(), readIntoEngine(holder.get(e.getKey()), e.getKey(), e.getValue(), staging, m));
                }
            }
            return new LlamaModel(config, m, w, q, quantization);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** One tensor quantised to NF4 as its rows are read (float32 only one staging block at a time). */
    private static Nf4.Tensor readQuantized(SafetensorsFile st, String name, long[] shape, ByteBuffer staging)
            throws IOException {
        long rows = shape.length == 0 ? 1 : shape[0];
        long rowBytes = rows == 0 ? 4 : 4 * TensorData.elementCount(shape) / rows;
        ByteBuffer buffer = rowBytes <= staging.capacity() ? staging
                : ByteBuffer.allocateDirect(Math.toIntExact(rowBytes)).order(ByteOrder.nativeOrder());
        Nf4.Quantizer quantizer = new Nf4.Quantizer(shape);
        float[] chunk = new float[buffer.capacity() / 4];
        st.readRows(name, buffer, (first, n, block) -> {
            int count = block.remaining() / 4;
            block.asFloatBuffer().get(chunk, 0, count);
            quantizer.accept(chunk, 0, count);
        });
        return quantizer.finish();
    }

    /**
     * One tensor as an engine-owned float32 array: a tensor that fits the staging buffer is cloned from
     * it; a larger one is allocated once, uninitialised, and filled block by block.
     */
    private static NDArray readIntoEngine(SafetensorsFile st, String name, long[] shape, ByteBuffer staging,
            NDManager m) throws IOException {
        long rows = shape.length == 0 ? 1 : shape[0];
        long rowBytes = rows == 0 ? 4 : 4 * TensorData.elementCount(shape) / rows;
        ByteBuffer buffer = rowBytes <= staging.capacity() ? staging
                : ByteBuffer.allocateDirect(Math.toIntExact(rowBytes)).order(ByteOrder.nativeOrder()); // a huge row
        NDArray[] out = new NDArray[1];
        try {
            st.readRows(name, buffer, (first, n, block) -> {
                long[] blockShape = shape.clone();
                if (blockShape.length > 0) {
                    blockShape[0] = n;
                }
                // A view over the staging buffer (no copy); it must be copied out before the buffer is reused.
                try (NDArray view = m.create(block, new Shape(blockShape), DataType.FLOAT32)) {
                    if (first == 0 && n == rows) {
                        out[0] = view.duplicate();
                    } else {
                        if (out[0] == null) {
                            out[0] = m.create(new Shape(shape), DataType.FLOAT32);
                        }
                        out[0].set(new NDIndex("{}:{}", first, first + n), view);
                    }
                }
            });
        } catch (IOException | RuntimeException e) {
            if (out[0] != null) {
                out[0].close();
            }
            throw e;
        }
        return out[0] != null ? out[0] : m.zeros(new Shape(shape), DataType.FLOAT32); // no elements
    }

    /**
     * A randomly initialised model: linear weights and embeddings N(0, 0.02²) (the Hugging Face
     * Llama initialiser), with the output projections of each residual branch scaled down by
     * 1/sqrt(2·layers) (GPT-2 style) so a deep stack starts near the identity; norms are the identity.
     * Deterministic for a seed on every JVM.
     */
    public static LlamaModel random(LlamaConfig config, long seed, NDManager parent) {
        NDManager m = parent.newSubManager();
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, NDArray> w = new LinkedHashMap<>();
        double residualScale = 1.0 / Math.sqrt(2.0 * config.numHiddenLayers());
        for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
            String name = e.getKey();
            int n = Math.toIntExact(TensorData.elementCount(e.getValue()));
            float[] v = new float[n];
            if (name.endsWith("norm.weight")) {
                Arrays.fill(v, config.family().identityNormWeight());
            } else if (!name.endsWith(".bias")) {
                double std = 0.02;
                if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) {
                    std *= residualScale;
                }
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (gaussian(rnd) * std);
                }
            }
            w.put(name, OwnedArrays.of(m, v, new Shape(e.getValue())));
        }
        return new LlamaModel(config, m, w);
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** Writes {@code config.json} and a float32 {@code model.safetensors} into {@code dir}, one tensor at a time. */
    public void save(Path dir) throws IOException {
        if (!quantized.isEmpty()) {
            throw new IllegalStateException("a model loaded with base quantization " + quantization.label()
                    + " is not saved (its base weights are rounded); load the full-precision checkpoint instead");
        }
        Files.createDirectories(dir);
        config.write(dir.resolve("config.json"));
        List<SafetensorsWriter.TensorSpec> specs = new ArrayList<>();
        weights.forEach((name, w) -> specs.add(new SafetensorsWriter.TensorSpec(name, w.getShape().getShape())));
        try (SafetensorsWriter out = SafetensorsWriter.open(dir.resolve(WEIGHTS_FILE), specs, Map.of("format", "pt"),
                SafetensorsWriter.Dtype.F32)) {
            for (Map.Entry<String, NDArray> e : weights.entrySet()) {
                out.put(new TensorData(e.getKey(), e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
            }
            out.commit();
        }
    }

    public LlamaConfig config() {
        return config;
    }

    /** Every weight by Hugging Face name (the arrays themselves: pretraining updates them in place). */
    public Map<String, NDArray> weights() {
        return weights;
    }

    public NDArray weight(String name) {
        NDArray w = weights.get(name);
        if (w == null) {
            throw new IllegalArgumentException(quantized.containsKey(name) ? "weight " + name + " is held as "
                    + quantization.label() + "; use frozenWeight" : "model has no weight " + name);
        }
        return w;
    }

    /** How the decoder blocks' linear weights are held. */
    public BaseQuantization quantization() {
        return quantization;
    }

    /** The base weight a LoRA target wraps in a layer, and its bias (null when the model has none). */
    public FrozenWeight frozenWeight(int layer, LoraTarget target) {
        String name = target.basePath(layer) + ".weight";
        Nf4Weight q = quantized.get(name);
        return q != null ? q : FrozenWeight.dense(weight(name));
    }

    public NDArray baseBias(int layer, LoraTarget target) {
        return weights.get(target.basePath(layer) + ".bias");
    }

    /**
     * Logits [B, T, vocab] for tokens [B, T] (int64), with causal attention. Right padding needs no
     * attention mask: a padded position comes after every real one, so no real position sees it.
     *
     * @param lora adapters wrapping some projections, or null for the base model
     * @param training enables LoRA dropout
     */
    public NDArray forward(NDArray tokens, LoraAdapters lora, boolean training) {
        return forward(tokens, lora, training, null, false);
    }

    /**
     * Incremental decoding: logits [B, T, vocab] for tokens [B, T] that follow the {@code cache.length()}
     * positions already in {@code cache}; their keys and values are appended to the cache. Inference
     * only (call with gradients off).
     */
    public NDArray forward(NDArray tokens, LoraAdapters lora, KvCache cache) {
        return forward(tokens, lora, false, cache, false);
    }

    /**
     * As {@link #forward(NDArray, LoraAdapters, KvCache)}, but logits [B, vocab] of the last new
     * position only: a long prompt's prefill never materialises [T, vocab] logits.
     */
    public NDArray forwardLast(NDArray tokens, LoraAdapters lora, KvCache cache) {
        return forward(tokens, lora, false, cache, true);
    }

    /**
     * Logits [B, T, vocab] with every projection going through {@code projection}: the seam where the
     * per-example (DP-SGD) path attaches its own LoRA factors to the same forward.
     */
    public NDArray forward(NDArray tokens, Projection projection) {
        DecoderPass pass = pass(tokens, projection);
        return pass.logits(pass.lastHidden());
    }

    /**
     * A pass over tokens [B, T] with every projection going through {@code projection}, to run layer by
     * layer: training takes hidden states from it and applies the head to the rows it needs.
     */
    public DecoderPass pass(NDArray tokens, Projection projection) {
        return pass(tokens, projection, null);
    }

    /** As {@link #pass(NDArray, Projection)} over a packed batch laid out by {@code segments} (null: unpacked). */
    public DecoderPass pass(NDArray tokens, Projection projection, io.fedlora.client.data.Segments segments) {
        return new DecoderPass(this, projection, tokens, null, segments);
    }

    private NDArray forward(NDArray tokens, LoraAdapters lora, boolean training, KvCache cache, boolean lastOnly) {
        DecoderPass pass = new DecoderPass(this, projection(lora, training), tokens, cache);
        NDArray h = pass.lastHidden();
        if (cache != null) {
            cache.advance(Math.toIntExact(tokens.getShape().get(1)));
        }
        if (lastOnly) {
            h = h.get(":, -1, :");
        }
        return pass.logits(h);
    }

    /** The projections with {@code lora} where it wraps one (null: the base model); dropout when training. */
    public Projection projection(LoraAdapters lora, boolean training) {
        return (x, layer, target) -> project(x, layer, target, lora, training);
    }

    private NDArray project(NDArray x, int layer, LoraTarget target, LoraAdapters lora, boolean training) {
        LoraLinear adapted = lora == null ? null : lora.get(layer, target);
        return adapted != null ? adapted.forward(x, training) : baseProjection(x, layer, target);
    }

    /** x through a layer's frozen base projection (with its bias, if any). */
    public NDArray baseProjection(NDArray x, int layer, LoraTarget target) {
        NDArray bias = baseBias(layer, target);
        NDArray w = frozenWeight(layer, target).in(x.getManager());
        return bias == null ? Linear.linear(x, w).head() : Linear.linear(x, w, bias).head();
    }

    /** Marks every base weight trainable (pretraining) or frozen. */
    public void setTrainable(boolean trainable) {
        for (NDArray w : weights.values()) {
            w.setRequiresGradient(trainable);
        }
    }

    public long parameterCount() {
        return weights.values().stream().mapToLong(a -> a.getShape().size()).sum()
                + quantized.values().stream().mapToLong(q -> q.shape().size()).sum();
    }

    /** Bytes of engine memory the weights hold (float32 ones at 4 bytes a value, quantised ones as stored). */
    public long weightBytes() {
        return 4 * weights.values().stream().mapToLong(a -> a.getShape().size()).sum()
                + quantized.values().stream().mapToLong(Nf4Weight::residentBytes).sum();
    }

    /** The model's own manager; arrays created from it live as long as the model. */
    public NDManager manager() {
        return manager;
    }

    static DataType tokenType() {
        return DataType.INT64;
    }

    @Override
    public void close() {
        manager.close();
    }
}
