package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import io.fedlora.adapter.CheckpointFiles;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Llama-family decoder (Llama, Qwen2, Mistral) as explicit NDArray computation over weights that
 * keep their Hugging Face names and [out, in] orientation.
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
    private static final float MASKED = -1e9f;

    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> weights;

    private LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> weights) {
        this.config = config;
        this.manager = manager;
        this.weights = Collections.unmodifiableMap(weights);
    }

    /** Hugging Face names and shapes of every weight this model needs, in a stable order. */
    public static Map<String, long[]> expectedShapes(LlamaConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {h});
            s.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            s.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            s.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            s.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            if (hasQkvBias(c)) {
                s.put(p + "self_attn.q_proj.bias", new long[] {q});
                s.put(p + "self_attn.k_proj.bias", new long[] {kv});
                s.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            if (c.attentionBias()) {
                s.put(p + "self_attn.o_proj.bias", new long[] {h});
            }
            s.put(p + "post_attention_layernorm.weight", new long[] {h});
            s.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), h});
            s.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), h});
            s.put(p + "mlp.down_proj.weight", new long[] {h, c.intermediateSize()});
        }
        s.put("model.norm.weight", new long[] {h});
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new long[] {c.vocabSize(), h});
        }
        return s;
    }

    /** Qwen2 always has q/k/v biases; Llama and Mistral only with {@code attention_bias}. */
    private static boolean hasQkvBias(LlamaConfig c) {
        return c.attentionBias() || c.modelType().equals("qwen2");
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
        return load(modelDir, parent, STAGING_BYTES);
    }

    static final int STAGING_BYTES = 8 << 20;

    static LlamaModel load(Path modelDir, NDManager parent, int stagingBytes) throws IOException {
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
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                w.put(e.getKey(), readIntoEngine(holder.get(e.getKey()), e.getKey(), e.getValue(), staging, m));
            }
            return new LlamaModel(config, m, w);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
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
     * 1/sqrt(2·layers) (GPT-2 style) so a deep stack starts near the identity; norms are one.
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
                Arrays.fill(v, 1f);
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
            throw new IllegalArgumentException("model has no weight " + name);
        }
        return w;
    }

    /** The base weight a LoRA target wraps in a layer, and its bias (null when the model has none). */
    public NDArray baseWeight(int layer, LoraTarget target) {
        return weight(target.basePath(layer) + ".weight");
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

    private NDArray forward(NDArray tokens, LoraAdapters lora, boolean training, KvCache cache, boolean lastOnly) {
        NDManager m = tokens.getManager();
        int t = Math.toIntExact(tokens.getShape().get(1));
        int past = cache == null ? 0 : cache.length();
        if (past + t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + (past + t) + " exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray[] rope = rotary(m, past, t);
        NDArray mask = causalMask(m, t, past, config.kvGroups());
        NDArray h = Embedding.embedding(tokens, weight("model.embed_tokens.weight"), SparseFormat.DENSE).head();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            NDArray x = rmsNorm(h, weight(p + "input_layernorm.weight"));
            h = h.add(attention(x, i, rope, mask, lora, training, cache));
            x = rmsNorm(h, weight(p + "post_attention_layernorm.weight"));
            NDArray gate = project(x, i, LoraTarget.GATE_PROJ, lora, training);
            NDArray up = project(x, i, LoraTarget.UP_PROJ, lora, training);
            NDArray act = Activation.sigmoid(gate).mul(gate).mul(up);
            h = h.add(project(act, i, LoraTarget.DOWN_PROJ, lora, training));
        }
        if (cache != null) {
            cache.advance(t);
        }
        if (lastOnly) {
            h = h.get(":, -1, :");
        }
        h = rmsNorm(h, weight("model.norm.weight"));
        NDArray head = config.tieWordEmbeddings() ? weight("model.embed_tokens.weight") : weight("lm_head.weight");
        return Linear.linear(h, head).head();
    }

    private NDArray attention(NDArray x, int layer, NDArray[] rope, NDArray mask, LoraAdapters lora, boolean training,
            KvCache cache) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int groups = config.kvGroups();
        int d = config.headDim();
        NDArray q = project(x, layer, LoraTarget.Q_PROJ, lora, training).reshape(b, t, heads, d);
        NDArray k = project(x, layer, LoraTarget.K_PROJ, lora, training).reshape(b, t, kvHeads, d);
        NDArray v = project(x, layer, LoraTarget.V_PROJ, lora, training).reshape(b, t, kvHeads, d);
        q = applyRotary(q, rope);
        k = applyRotary(k, rope);
        // Grouped-query attention without copying K/V: query head h uses kv head h / groups (as HF's
        // repeat_kv), so fold the group into the query's time axis: [B, KV, G·T, D] against [B, KV, S, D].
        NDArray qg = q.reshape(b, t, kvHeads, groups, d).transpose(0, 2, 3, 1, 4).reshape(b, kvHeads, groups * t, d);
        NDArray kh = k.transpose(0, 2, 1, 3); // [B, KV, T, D]
        NDArray vt = v.transpose(0, 2, 1, 3); // [B, KV, T, D]
        if (cache != null) {
            if (cache.keys(layer) != null) {
                // The concatenation lands in the cache's manager (its first operand's).
                kh = cache.keys(layer).concat(kh, 2);
                vt = cache.values(layer).concat(vt, 2);
            } else {
                kh = kh.duplicate();
                vt = vt.duplicate();
            }
            cache.put(layer, kh, vt);
        }
        NDArray kt = kh.transpose(0, 1, 3, 2); // [B, KV, D, S]
        NDArray raw = qg.matMul(kt);
        NDArray scores = raw.mul(OwnedArrays.scalar(raw.getManager(), (float) (1.0 / Math.sqrt(d)))).add(mask);
        NDArray out = scores.softmax(-1).matMul(vt); // [B, KV, G·T, D]
        out = out.reshape(b, kvHeads, groups, t, d).transpose(0, 3, 1, 2, 4).reshape(b, t, (long) heads * d);
        return project(out, layer, LoraTarget.O_PROJ, lora, training);
    }

    private NDArray project(NDArray x, int layer, LoraTarget target, LoraAdapters lora, boolean training) {
        LoraLinear adapted = lora == null ? null : lora.get(layer, target);
        if (adapted != null) {
            return adapted.forward(x, training);
        }
        NDArray bias = baseBias(layer, target);
        NDArray w = baseWeight(layer, target);
        return bias == null ? Linear.linear(x, w).head() : Linear.linear(x, w, bias).head();
    }

    /** RMSNorm with this model's epsilon; shared with the per-example (DP-SGD) forward pass. */
    public NDArray rmsNorm(NDArray x, NDArray w) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        NDArray rms = meanSquare.add(OwnedArrays.scalar(meanSquare.getManager(), (float) config.rmsNormEps())).sqrt();
        return x.div(rms).mul(w);
    }

    /**
     * cos and sin [T, 1, D] for positions start..start+T-1 in Hugging Face's layout: the D/2
     * frequencies (with any rope scaling) repeated twice.
     */
    public NDArray[] rotary(NDManager m, int start, int t) {
        int d = config.headDim();
        int half = d / 2;
        double[] inv = config.ropeInverseFrequencies();
        float[] cos = new float[t * d];
        float[] sin = new float[t * d];
        for (int p = 0; p < t; p++) {
            int pos = start + p;
            for (int i = 0; i < half; i++) {
                double angle = pos * inv[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * d + i] = c;
                cos[p * d + i + half] = c;
                sin[p * d + i] = s;
                sin[p * d + i + half] = s;
            }
        }
        return new NDArray[] {OwnedArrays.of(m, cos, new Shape(t, 1, d)), OwnedArrays.of(m, sin, new Shape(t, 1, d))};
    }

    /** x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1] on the two halves of the head dimension. */
    public static NDArray applyRotary(NDArray x, NDArray[] rope) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get("..., :" + half);
        NDArray x2 = x.get("..., " + half + ":");
        NDArray rotated = x2.neg().concat(x1, -1);
        return x.mul(rope[0]).add(rotated.mul(rope[1]));
    }

    /**
     * Additive causal mask [G·T, past + T] for the grouped query layout: row g·T + i (the query at
     * position past + i) masks the key columns after past + i.
     */
    private static NDArray causalMask(NDManager m, int t, int past, int groups) {
        int s = past + t;
        float[] mask = new float[groups * t * s];
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < t; i++) {
                for (int j = past + i + 1; j < s; j++) {
                    mask[(g * t + i) * s + j] = MASKED;
                }
            }
        }
        return OwnedArrays.of(m, mask, new Shape((long) groups * t, s));
    }

    /** Marks every base weight trainable (pretraining) or frozen. */
    public void setTrainable(boolean trainable) {
        for (NDArray w : weights.values()) {
            w.setRequiresGradient(trainable);
        }
    }

    public long parameterCount() {
        return weights.values().stream().mapToLong(a -> a.getShape().size()).sum();
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
