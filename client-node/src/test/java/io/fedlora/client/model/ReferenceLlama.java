package io.fedlora.client.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.SafetensorsFile;
import io.fedlora.adapter.TensorData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * An independent, deliberately naive reference for the forward pass of every supported family
 * (Llama, Qwen2, Mistral, Qwen3, Phi-3, Gemma 2, Gemma 3 text), used only to check {@link LlamaModel}.
 *
 * <p>How it was made: written from the architecture definition (the model descriptions of the
 * Hugging Face {@code modeling_*.py} classes, taken as a specification, not as code), without
 * looking at or calling {@code LlamaModel}: plain Java, double precision, one position and one head
 * at a time, scalar loops, no DJL. It shares nothing with the model under test except the config
 * record (dimensions only: the rotary frequencies, including every {@code rope_scaling} type, are
 * recomputed here from the raw fields, and every family-specific setting is read here from the raw
 * config.json) and the safetensors reader. Per decoder layer of the Llama family:
 * <pre>
 *   x   = RMSNorm(h) · w_in                         RMSNorm(x) = x / sqrt(mean(x²) + eps)
 *   q,k,v = x·Wqᵀ (+bq), x·Wkᵀ (+bk), x·Wvᵀ (+bv)   biases: Qwen2 always, others with attention_bias
 *   q,k = q·cos + rotate_half(q)·sin                 rotate_half([a, b]) = [-b, a] over the head dim,
 *                                                    angle(pos, j) = pos · inv_freq[j mod d/2]
 *   head n attends with kv head n / (heads / kvHeads) (grouped-query attention), causally,
 *   softmax(q·k / sqrt(d))·v, then o_proj (+ bias with attention_bias)
 *   h  += attention;  h += down(silu(gate(x')) · up(x'))  with x' = RMSNorm(h) · w_post
 * </pre>
 * then the final RMSNorm and the head ({@code lm_head}, or the embedding matrix when tied).
 * The other families, by their descriptions:
 * <ul>
 *   <li>Qwen3: q and k RMSNormed per head (weights {@code q_norm}, {@code k_norm} over head_dim)
 *       before the rotation; no q/k/v biases.
 *   <li>Phi-3: {@code qkv_proj} gives q, k, v stacked in that order; {@code gate_up_proj} gives gate
 *       then up; a sliding window on every layer when the config has one.
 *   <li>Gemma 2 / 3: embeddings times sqrt(hidden); every RMSNorm multiplies by (1 + w); a norm after
 *       attention and norms before and after the MLP; MLP down(gelu_tanh(gate)·up); scores scaled by
 *       query_pre_attn_scalar^-1/2, then attn_logit_softcapping (cap·tanh(s / cap)); sliding layers
 *       see the last sliding_window positions (Gemma 2 every other layer from the first, Gemma 3 all
 *       but every sliding_window_pattern-th, or as layer_types says); final logits soft-capped.
 *       Gemma 3 also RMSNorms q and k per head and rotates its sliding layers with base
 *       rope_local_base_freq and no rope scaling.
 * </ul>
 */
final class ReferenceLlama {

    private final LlamaConfig c;
    private final JsonNode raw;
    private final Map<String, float[]> w;
    private final String type;
    private final boolean gemma;

    ReferenceLlama(LlamaConfig c, JsonNode raw, Map<String, float[]> weights) {
        this.c = c;
        this.raw = raw;
        this.w = weights;
        this.type = raw.get("model_type").asText();
        this.gemma = type.startsWith("gemma");
    }

    /** Reads config.json and every tensor of the checkpoint's weight file(s). */
    static ReferenceLlama load(Path dir) throws IOException {
        LlamaConfig c = LlamaConfig.readDir(dir);
        JsonNode raw = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        Map<String, float[]> w = new HashMap<>();
        for (Path f : CheckpointFiles.weightFiles(dir)) {
            for (TensorData t : SafetensorsFile.open(f).readAll()) {
                w.put(t.name(), t.values());
            }
        }
        return new ReferenceLlama(c, raw, w);
    }

    /** A number from config.json; {@code dflt} when absent or null. */
    private double number(String field, double dflt) {
        JsonNode v = raw.get(field);
        return v == null || v.isNull() ? dflt : v.asDouble();
    }

    /** Whether a layer attends through a sliding window, from the raw config fields. */
    private boolean sliding(int layer) {
        if (number("sliding_window", 0) <= 0 || type.equals("qwen2") || type.equals("qwen3") || type.equals("llama")) {
            return false;
        }
        JsonNode types = raw.get("layer_types");
        if (types != null && types.isArray()) {
            return types.get(layer).asText().equals("sliding_attention");
        }
        if (type.equals("gemma2")) {
            return layer % 2 == 0;
        }
        if (type.equals("gemma3_text")) {
            return (layer + 1) % (int) number("sliding_window_pattern", 6) != 0;
        }
        return true; // mistral, phi3: every layer
    }

    /** Gemma 3's sliding layers: plain rotary frequencies of base rope_local_base_freq. */
    private double[] localInverseFrequencies() {
        int d = c.headDim();
        double[] inv = new double[d / 2];
        for (int j = 0; j < d / 2; j++) {
            inv[j] = Math.pow(number("rope_local_base_freq", 10000), -(double) (2 * j) / d);
        }
        return inv;
    }

    /** Rotary inverse frequencies from the raw config fields, each rope_scaling type by its definition. */
    double[] inverseFrequencies() {
        int d = c.headDim();
        double[] inv = new double[d / 2];
        for (int j = 0; j < d / 2; j++) {
            inv[j] = Math.pow(c.ropeTheta(), -(double) (2 * j) / d);
            LlamaConfig.RopeScaling s = c.ropeScaling();
            if (s == null || s.type().equals("dynamic")) {
                continue; // dynamic NTK only changes the base past max_position_embeddings
            }
            if (s.type().equals("linear")) {
                inv[j] = inv[j] / s.factor(); // same as dividing positions by the factor
                continue;
            }
            // llama3: keep high frequencies, divide low ones by factor, interpolate in between.
            double wavelength = 2 * Math.PI / inv[j];
            double oldContext = s.originalMaxPositionEmbeddings();
            if (wavelength < oldContext / s.highFreqFactor()) {
                continue;
            }
            if (wavelength > oldContext / s.lowFreqFactor()) {
                inv[j] = inv[j] / s.factor();
                continue;
            }
            double smooth = (oldContext / wavelength - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
            inv[j] = smooth * inv[j] + (1 - smooth) * inv[j] / s.factor();
        }
        return inv;
    }

    /** Logits [T][vocab] for one sequence. */
    double[][] logits(long[] tokens) {
        int n = tokens.length;
        int hd = c.hiddenSize();
        int d = c.headDim();
        int heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads();
        boolean qkvBias = c.attentionBias() || type.equals("qwen2");
        double[] globalInv = inverseFrequencies();
        double[] localInv = localInverseFrequencies();
        double embedScale = gemma ? Math.sqrt(hd) : 1;
        double scoreScale = gemma ? 1 / Math.sqrt(number("query_pre_attn_scalar", 256)) : 1 / Math.sqrt(d);
        double attnCap = type.equals("gemma2") ? number("attn_logit_softcapping", 50) : number("attn_logit_softcapping", 0);
        double finalCap = type.equals("gemma2") ? number("final_logit_softcapping", 30) : number("final_logit_softcapping", 0);
        int window = (int) number("sliding_window", 0);
        float[] emb = w.get("model.embed_tokens.weight");
        double[][] h = new double[n][hd];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < hd; i++) {
                h[t][i] = emb[(int) tokens[t] * hd + i] * embedScale;
            }
        }
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            String p = "model.layers." + layer + ".";
            boolean slides = sliding(layer);
            double[] inv = slides && type.equals("gemma3_text") ? localInv : globalInv;
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] x = norm(h[t], w.get(p + "input_layernorm.weight"));
                if (type.equals("phi3")) {
                    double[] qkv = linear(x, p + "self_attn.qkv_proj", false);
                    q[t] = java.util.Arrays.copyOfRange(qkv, 0, heads * d);
                    k[t] = java.util.Arrays.copyOfRange(qkv, heads * d, (heads + kvHeads) * d);
                    v[t] = java.util.Arrays.copyOfRange(qkv, (heads + kvHeads) * d, (heads + 2 * kvHeads) * d);
                } else {
                    q[t] = linear(x, p + "self_attn.q_proj", qkvBias);
                    k[t] = linear(x, p + "self_attn.k_proj", qkvBias);
                    v[t] = linear(x, p + "self_attn.v_proj", qkvBias);
                }
                if (type.equals("qwen3") || type.equals("gemma3_text")) {
                    normEachHead(q[t], heads, d, w.get(p + "self_attn.q_norm.weight"));
                    normEachHead(k[t], kvHeads, d, w.get(p + "self_attn.k_norm.weight"));
                }
                rope(q[t], heads, d, t, inv);
                rope(k[t], kvHeads, d, t, inv);
            }
            double[][] attn = new double[n][heads * d];
            for (int head = 0; head < heads; head++) {
                int kvHead = head / (heads / kvHeads);
                for (int t = 0; t < n; t++) {
                    int first = slides ? Math.max(0, t - window + 1) : 0;
                    double[] score = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = first; s <= t; s++) {
                        double dot = 0;
                        for (int j = 0; j < d; j++) {
                            dot += q[t][head * d + j] * k[s][kvHead * d + j];
                        }
                        score[s] = dot * scoreScale;
                        if (attnCap > 0) {
                            score[s] = attnCap * Math.tanh(score[s] / attnCap);
                        }
                        max = Math.max(max, score[s]);
                    }
                    double sum = 0;
                    for (int s = first; s <= t; s++) {
                        score[s] = Math.exp(score[s] - max);
                        sum += score[s];
                    }
                    for (int s = first; s <= t; s++) {
                        for (int j = 0; j < d; j++) {
                            attn[t][head * d + j] += score[s] / sum * v[s][kvHead * d + j];
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                double[] o = linear(attn[t], p + "self_attn.o_proj", c.attentionBias());
                if (gemma) {
                    o = norm(o, w.get(p + "post_attention_layernorm.weight"));
                }
                for (int i = 0; i < hd; i++) {
                    h[t][i] += o[i];
                }
                double[] x = norm(h[t], w.get(p + (gemma ? "pre_feedforward_layernorm.weight"
                        : "post_attention_layernorm.weight")));
                double[] gate;
                double[] up;
                if (type.equals("phi3")) {
                    double[] gateUp = linear(x, p + "mlp.gate_up_proj", false);
                    gate = java.util.Arrays.copyOfRange(gateUp, 0, gateUp.length / 2);
                    up = java.util.Arrays.copyOfRange(gateUp, gateUp.length / 2, gateUp.length);
                } else {
                    gate = linear(x, p + "mlp.gate_proj", false);
                    up = linear(x, p + "mlp.up_proj", false);
                }
                double[] act = new double[gate.length];
                for (int i = 0; i < act.length; i++) {
                    double g = gate[i];
                    double activated = gemma
                            ? 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)))
                            : g / (1 + Math.exp(-g));
                    act[i] = activated * up[i];
                }
                double[] down = linear(act, p + "mlp.down_proj", false);
                if (gemma) {
                    down = norm(down, w.get(p + "post_feedforward_layernorm.weight"));
                }
                for (int i = 0; i < hd; i++) {
                    h[t][i] += down[i];
                }
            }
        }
        float[] head = c.tieWordEmbeddings() ? emb : w.get("lm_head.weight");
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            out[t] = matVec(head, norm(h[t], w.get("model.norm.weight")), c.vocabSize());
            for (int i = 0; finalCap > 0 && i < out[t].length; i++) {
                out[t][i] = finalCap * Math.tanh(out[t][i] / finalCap);
            }
        }
        return out;
    }

    /** The family's RMSNorm: times w, or times (1 + w) in Gemma. */
    private double[] norm(double[] x, float[] weight) {
        if (!gemma) {
            return rmsNorm(x, weight);
        }
        float[] plusOne = new float[weight.length];
        for (int i = 0; i < weight.length; i++) {
            plusOne[i] = 1 + weight[i];
        }
        return rmsNorm(x, plusOne);
    }

    /** RMSNorm of each head's slice of x in place (the family's norm), one weight over head_dim. */
    private void normEachHead(double[] x, int nHeads, int d, float[] weight) {
        for (int head = 0; head < nHeads; head++) {
            double[] y = norm(java.util.Arrays.copyOfRange(x, head * d, (head + 1) * d), weight);
            System.arraycopy(y, 0, x, head * d, d);
        }
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double ms = 0;
        for (double e : x) {
            ms += e * e;
        }
        double scale = 1 / Math.sqrt(ms / x.length + c.rmsNormEps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * scale * weight[i];
        }
        return y;
    }

    /** Rotates each head of x in place at position pos (HF rotate_half convention). */
    private static void rope(double[] x, int nHeads, int d, int pos, double[] inv) {
        int half = d / 2;
        for (int head = 0; head < nHeads; head++) {
            int o = head * d;
            double[] y = new double[d];
            for (int j = 0; j < d; j++) {
                double angle = pos * inv[j % half];
                double rotated = j < half ? -x[o + j + half] : x[o + j - half];
                y[j] = x[o + j] * Math.cos(angle) + rotated * Math.sin(angle);
            }
            System.arraycopy(y, 0, x, o, d);
        }
    }

    private double[] linear(double[] x, String module, boolean bias) {
        float[] weight = w.get(module + ".weight");
        double[] y = matVec(weight, x, weight.length / x.length);
        if (bias) {
            float[] b = w.get(module + ".bias");
            for (int i = 0; i < y.length; i++) {
                y[i] += b[i];
            }
        }
        return y;
    }

    /** W [out, in] (row-major) times x [in]. */
    private static double[] matVec(float[] weight, double[] x, int out) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += weight[o * x.length + i] * (double) x[i];
            }
            y[o] = s;
        }
        return y;
    }
}
