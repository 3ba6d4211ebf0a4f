package io.fedlora.client.model;

import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.SafetensorsFile;
import io.fedlora.adapter.TensorData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * An independent, deliberately naive reference for the Llama-family forward pass (Llama, Qwen2,
 * Mistral), used only to check {@link LlamaModel}.
 *
 * <p>How it was made: written from the architecture definition (the Llama / Qwen2 / Mistral model
 * descriptions of the Hugging Face {@code modeling_*.py} classes, taken as a specification, not
 * as code), without looking at or calling {@code LlamaModel}: plain Java, double precision, one
 * position and one head at a time, scalar loops, no DJL. It shares nothing with the model under
 * test except the config record (dimensions only: the rotary frequencies, including every
 * {@code rope_scaling} type, are recomputed here from the raw fields) and the safetensors reader.
 * Per decoder layer:
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
 */
final class ReferenceLlama {

    private final LlamaConfig c;
    private final Map<String, float[]> w;

    ReferenceLlama(LlamaConfig c, Map<String, float[]> weights) {
        this.c = c;
        this.w = weights;
    }

    /** Reads config.json and every tensor of the checkpoint's weight file(s). */
    static ReferenceLlama load(Path dir) throws IOException {
        LlamaConfig c = LlamaConfig.readDir(dir);
        Map<String, float[]> w = new HashMap<>();
        for (Path f : CheckpointFiles.weightFiles(dir)) {
            for (TensorData t : SafetensorsFile.open(f).readAll()) {
                w.put(t.name(), t.values());
            }
        }
        return new ReferenceLlama(c, w);
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
        boolean qkvBias = c.attentionBias() || c.modelType().equals("qwen2");
        double[] inv = inverseFrequencies();
        float[] emb = w.get("model.embed_tokens.weight");
        double[][] h = new double[n][hd];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < hd; i++) {
                h[t][i] = emb[(int) tokens[t] * hd + i];
            }
        }
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            String p = "model.layers." + layer + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] x = rmsNorm(h[t], w.get(p + "input_layernorm.weight"));
                q[t] = linear(x, p + "self_attn.q_proj", qkvBias);
                k[t] = linear(x, p + "self_attn.k_proj", qkvBias);
                v[t] = linear(x, p + "self_attn.v_proj", qkvBias);
                rope(q[t], heads, d, t, inv);
                rope(k[t], kvHeads, d, t, inv);
            }
            double[][] attn = new double[n][heads * d];
            for (int head = 0; head < heads; head++) {
                int kvHead = head / (heads / kvHeads);
                for (int t = 0; t < n; t++) {
                    double[] score = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int j = 0; j < d; j++) {
                            dot += q[t][head * d + j] * k[s][kvHead * d + j];
                        }
                        score[s] = dot / Math.sqrt(d);
                        max = Math.max(max, score[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) {
                        score[s] = Math.exp(score[s] - max);
                        sum += score[s];
                    }
                    for (int s = 0; s <= t; s++) {
                        for (int j = 0; j < d; j++) {
                            attn[t][head * d + j] += score[s] / sum * v[s][kvHead * d + j];
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                double[] o = linear(attn[t], p + "self_attn.o_proj", c.attentionBias());
                for (int i = 0; i < hd; i++) {
                    h[t][i] += o[i];
                }
                double[] x = rmsNorm(h[t], w.get(p + "post_attention_layernorm.weight"));
                double[] gate = linear(x, p + "mlp.gate_proj", false);
                double[] up = linear(x, p + "mlp.up_proj", false);
                double[] act = new double[gate.length];
                for (int i = 0; i < act.length; i++) {
                    act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                double[] down = linear(act, p + "mlp.down_proj", false);
                for (int i = 0; i < hd; i++) {
                    h[t][i] += down[i];
                }
            }
        }
        float[] head = c.tieWordEmbeddings() ? emb : w.get("lm_head.weight");
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            out[t] = matVec(head, rmsNorm(h[t], w.get("model.norm.weight")), c.vocabSize());
        }
        return out;
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
