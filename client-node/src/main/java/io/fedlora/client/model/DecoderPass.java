package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.client.data.Segments;
import java.util.function.BiFunction;

/**
 * One forward pass over a token batch, and the building blocks a {@link ModelFamily} writes its
 * forward with: embedding, norms, projections through the {@link Projection} hook, rotary
 * grouped-query attention (causal, optionally windowed, with a KV cache), the output head.
 *
 * <p>Every result lands in the manager of the token array (see {@link LlamaModel}).
 */
public final class DecoderPass {

    private static final float MASKED = -1e9f;

    private final LlamaModel model;
    private final LlamaConfig config;
    private final Projection projection;
    private final NDArray tokens;
    private final NDManager m;
    private final int past;
    private final int length;
    private final KvCache cache;
    private final Segments segments;
    private NDArray[] globalRope;
    private NDArray[] localRope;
    private NDArray fullMask;
    private NDArray slidingMask;

    DecoderPass(LlamaModel model, Projection projection, NDArray tokens, KvCache cache) {
        this(model, projection, tokens, cache, null);
    }

    /** {@code segments} non-null: a packed batch (no cache), attention and positions per example. */
    DecoderPass(LlamaModel model, Projection projection, NDArray tokens, KvCache cache, Segments segments) {
        if (segments != null && (cache != null || segments.positions().length != tokens.getShape().size())) {
            throw new IllegalArgumentException("segments need a batch of their size and no cache");
        }
        this.segments = segments;
        this.model = model;
        this.config = model.config();
        this.projection = projection;
        this.tokens = tokens;
        this.m = tokens.getManager();
        this.cache = cache;
        this.past = cache == null ? 0 : cache.length();
        this.length = Math.toIntExact(tokens.getShape().get(1));
        if (past + length > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + (past + length)
                    + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
    }

    public LlamaConfig config() {
        return config;
    }

    public NDArray weight(String name) {
        return model.weight(name);
    }

    /** Token embeddings [B, T, hidden]. */
    public NDArray embed() {
        return Embedding.embedding(tokens, weight("model.embed_tokens.weight"), SparseFormat.DENSE).head();
    }

    /** The first hidden states [B, T, hidden]: the embedding as the family scales it. */
    public NDArray firstHidden() {
        return config.family().embed(this);
    }

    /**
     * Decoder layer {@code i} on its input {@code h}, in a scope of its own: the layer's temporaries
     * (norms, q/k/v, scores, MLP activations, dequantised weights) land in the scope and are released
     * as it returns; only the output lands in h's manager. Safe when training too: autograd holds its
     * own reference to whatever the backward pass needs, so releasing DJL's handle frees only the rest.
     */
    public NDArray layerOutput(int i, NDArray h) {
        NDManager outer = h.getManager();
        try (NDManager scope = outer.newSubManager()) {
            h.tempAttach(scope); // results of ops on the input land in the scope; the input goes back on close
            NDArray out = config.family().layer(this, i, h);
            out.attach(outer);
            return out;
        }
    }

    /** The hidden states after every decoder layer, before the final norm. */
    public NDArray lastHidden() {
        NDArray h = firstHidden();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            h = layerOutput(i, h);
        }
        return h;
    }

    /** Logits [..., vocab] of hidden states [..., hidden] from {@link #lastHidden}: final norm and head. */
    public NDArray logits(NDArray hidden) {
        return config.family().logits(this, hidden);
    }

    /** x through a layer's projection, via the hook. */
    public NDArray project(NDArray x, int layer, LoraTarget target) {
        return projection.apply(x, layer, target);
    }

    /**
     * q [B, T, heads, head_dim], k and v [B, T, kvHeads, head_dim] of a layer's normed input x through its
     * separate q/k/v projections; q and k then through {@code headNorm} with the layer's q_norm/k_norm
     * weights where the family norms them per head (null: it does not).
     */
    public NDArray[] queryKeyValue(NDArray x, int layer, BiFunction<NDArray, String, NDArray> headNorm) {
        NDArray q = projectHeads(x, layer, LoraTarget.Q_PROJ, config.numAttentionHeads());
        NDArray k = projectHeads(x, layer, LoraTarget.K_PROJ, config.numKeyValueHeads());
        NDArray v = projectHeads(x, layer, LoraTarget.V_PROJ, config.numKeyValueHeads());
        if (headNorm != null) {
            String p = "model.layers." + layer + ".self_attn.";
            q = headNorm.apply(q, p + "q_norm.weight");
            k = headNorm.apply(k, p + "k_norm.weight");
        }
        return new NDArray[] {q, k, v};
    }

    /** x [B, T, in] through a layer's projection, split into {@code heads} heads: [B, T, heads, head_dim]. */
    public NDArray projectHeads(NDArray x, int layer, LoraTarget target, int heads) {
        Shape s = x.getShape();
        return project(x, layer, target).reshape(s.get(0), s.get(1), heads, config.headDim());
    }

    /** RMSNorm over the last axis, times the named weight. */
    public NDArray rmsNorm(NDArray x, String weight) {
        NDArray normed = normalise(x);
        return spent(normed.mul(weight(weight)), normed);
    }

    /** Gemma's RMSNorm: times (1 + w), so a zero weight is the identity. */
    public NDArray rmsNormPlusOne(NDArray x, String weight) {
        NDArray normed = normalise(x);
        NDArray scaled = normed.mul(weight(weight));
        return spent(normed.add(scaled), normed, scaled);
    }

    private NDArray normalise(NDArray x) {
        NDArray square = x.square();
        NDArray meanSquare = spent(square.mean(new int[] {-1}, true), square);
        NDArray rms = meanSquare.add(scalar(meanSquare, config.rmsNormEps())).sqrt();
        return x.div(rms);
    }

    /** silu(gate)·up. */
    public static NDArray swiGlu(NDArray gate, NDArray up) {
        NDArray sigmoid = Activation.sigmoid(gate);
        NDArray silu = spent(sigmoid.mul(gate), sigmoid);
        return spent(silu.mul(up), silu);
    }

    /** gelu(gate)·up with GELU's tanh approximation (PyTorch's {@code gelu_pytorch_tanh}). */
    public static NDArray geGlu(NDArray gate, NDArray up) {
        NDArray square = gate.mul(gate);
        NDArray cube = spent(square.mul(gate), square);
        NDArray term = spent(cube.mul(scalar(gate, 0.044715)), cube);
        NDArray sum = spent(term.add(gate), term);
        NDArray inner = spent(sum.mul(scalar(gate, Math.sqrt(2 / Math.PI))), sum);
        NDArray tanh = spent(inner.tanh(), inner);
        NDArray half = gate.mul(scalar(gate, 0.5));
        NDArray halfTanh = spent(half.mul(tanh), tanh);
        NDArray gelu = spent(half.add(halfTanh), half, halfTanh);
        return spent(gelu.mul(up), gelu);
    }

    /** cap·tanh(x / cap). */
    public static NDArray softcap(NDArray x, double cap) {
        NDArray scaled = x.mul(scalar(x, 1 / cap));
        NDArray tanh = spent(scaled.tanh(), scaled);
        return spent(tanh.mul(scalar(x, cap)), tanh);
    }

    /**
     * {@code next}, after closing {@code used}: intermediates of a layer are released as soon as they are
     * consumed instead of when the layer's scope ends, so fewer of them exist at once. Safe when training:
     * autograd keeps its own reference to what backward needs.
     */
    private static NDArray spent(NDArray next, NDArray... used) {
        for (NDArray u : used) {
            u.close();
        }
        return next;
    }

    public static NDArray scalar(NDArray like, double v) {
        return OwnedArrays.scalar(like.getManager(), (float) v);
    }

    /**
     * Rotary grouped-query attention of one layer: q [B, T, heads, D], k and v [B, T, kvHeads, D]
     * (already normed where a family norms them) to [B, T, heads·D]. Scores are scaled by
     * {@code scale}, soft-capped when {@code softcap > 0}, masked causally and, in a sliding layer,
     * to the window; sliding layers use the local rotary base where the config has one.
     */
    public NDArray attention(int layer, NDArray q, NDArray k, NDArray v, double scale, double softcap) {
        long b = q.getShape().get(0);
        long t = q.getShape().get(1);
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int groups = config.kvGroups();
        int d = config.headDim();
        boolean sliding = config.variant().sliding(layer);
        NDArray[] rope = rope(sliding && config.variant().ropeLocalBaseFreq() > 0);
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
        NDArray raw = qg.matMul(kh.transpose(0, 1, 3, 2));
        NDArray scores = spent(raw.mul(scalar(raw, scale)), raw);
        if (softcap > 0) {
            scores = spent(softcap(scores, softcap), scores);
        }
        scores = spent(scores.add(mask(sliding)), scores);
        NDArray probabilities = spent(scores.softmax(-1), scores);
        NDArray out = spent(probabilities.matMul(vt), probabilities); // [B, KV, G·T, D]
        return out.reshape(b, kvHeads, groups, t, d).transpose(0, 3, 1, 2, 4).reshape(b, t, (long) heads * d);
    }

    /** Logits through the output head: {@code lm_head}, or the embedding matrix when tied. */
    public NDArray head(NDArray h) {
        NDArray w = config.tieWordEmbeddings() ? weight("model.embed_tokens.weight") : weight("lm_head.weight");
        return Linear.linear(h, w).head();
    }

    private NDArray[] rope(boolean local) {
        if (local) {
            if (localRope == null) {
                localRope = rotary(config.localRopeInverseFrequencies());
            }
            return localRope;
        }
        if (globalRope == null) {
            globalRope = rotary(config.ropeInverseFrequencies());
        }
        return globalRope;
    }

    /**
     * cos and sin [T, 1, D] in Hugging Face's layout: the D/2 frequencies repeated twice; [B, T, 1, D]
     * for a packed batch, whose positions restart at each example.
     */
    private NDArray[] rotary(double[] inv) {
        int d = config.headDim();
        int half = d / 2;
        int rows = segments == null ? 1 : Math.toIntExact(tokens.getShape().get(0));
        float[] cos = new float[rows * length * d];
        float[] sin = new float[rows * length * d];
        for (int p = 0; p < rows * length; p++) {
            int pos = segments == null ? past + p : segments.positions()[p];
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
        Shape shape = segments == null ? new Shape(length, 1, d) : new Shape(rows, length, 1, d);
        return new NDArray[] {OwnedArrays.of(m, cos, shape), OwnedArrays.of(m, sin, shape)};
    }

    /** x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1] on the two halves of the head dimension. */
    private static NDArray applyRotary(NDArray x, NDArray[] rope) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get("..., :" + half);
        NDArray x2 = x.get("..., " + half + ":");
        NDArray negated = x2.neg();
        NDArray rotated = spent(negated.concat(x1, -1), negated, x1, x2);
        NDArray cos = x.mul(rope[0]);
        NDArray sin = spent(rotated.mul(rope[1]), rotated);
        return spent(cos.add(sin), cos, sin);
    }

    private NDArray mask(boolean sliding) {
        if (sliding) {
            if (slidingMask == null) {
                slidingMask = causalMask(config.variant().slidingWindow());
            }
            return slidingMask;
        }
        if (fullMask == null) {
            fullMask = causalMask(Integer.MAX_VALUE);
        }
        return fullMask;
    }

    /**
     * Additive mask [G·T, past + T] for the grouped query layout: row g·T + i (the query at position
     * p = past + i) sees key columns j with p - window < j <= p. For a packed batch [B, 1, G·T, T]:
     * the same inside each example, nothing across examples.
     */
    private NDArray causalMask(int window) {
        int groups = config.kvGroups();
        int s = past + length;
        int rows = segments == null ? 1 : Math.toIntExact(tokens.getShape().get(0));
        float[] mask = new float[rows * groups * length * s];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                for (int i = 0; i < length; i++) {
                    int p = past + i;
                    int at = ((r * groups + g) * length + i) * s;
                    for (int j = 0; j < s; j++) {
                        if (j > p || (long) p - j >= window || !sameExample(r, i, j)) {
                            mask[at + j] = MASKED;
                        }
                    }
                }
            }
        }
        Shape shape = segments == null ? new Shape((long) groups * length, s)
                : new Shape(rows, 1, (long) groups * length, s);
        return OwnedArrays.of(m, mask, shape);
    }

    private boolean sameExample(int row, int i, int j) {
        return segments == null || segments.exampleOf()[row * length + i] == segments.exampleOf()[row * length + j];
    }
}
