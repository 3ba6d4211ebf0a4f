package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.LoraSites;
import io.fedlora.adapter.LoraTarget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama-style decoders: pre-norm RMSNorm blocks, rotary grouped-query attention with separate
 * q/k/v projections, a SwiGLU MLP. Llama and Mistral as is (Mistral with its sliding window),
 * Qwen2 with q/k/v biases, Qwen3 with a per-head RMSNorm on q and k before the rotation.
 */
record LlamaFamily(String modelType, String architecture, boolean qkvBias, boolean qkNorm, boolean slidingWindow)
        implements ModelFamily {

    static final LlamaFamily LLAMA = new LlamaFamily("llama", "LlamaForCausalLM", false, false, false);
    static final LlamaFamily MISTRAL = new LlamaFamily("mistral", "MistralForCausalLM", false, false, true);
    static final LlamaFamily QWEN2 = new LlamaFamily("qwen2", "Qwen2ForCausalLM", true, false, false);
    static final LlamaFamily QWEN3 = new LlamaFamily("qwen3", "Qwen3ForCausalLM", false, true, false);

    @Override
    public LlamaConfig.Variant readVariant(ConfigFields f, int layers) throws ModelFormatException {
        f.requireActivation("silu", "silu");
        if (f.bool("use_sliding_window", false)) {
            // Qwen's window covers only the layers from max_window_layers on; not modelled.
            throw new ModelFormatException(f.file(), "field use_sliding_window: true is not supported for " + modelType);
        }
        return slidingWindow ? windowOnEveryLayer(f) : LlamaConfig.Variant.NONE;
    }

    /** {@code sliding_window} (absent or null: none) applied to every layer, as Mistral and Phi-3 do. */
    static LlamaConfig.Variant windowOnEveryLayer(ConfigFields f) throws ModelFormatException {
        int window = f.positiveInt("sliding_window", Integer.MAX_VALUE);
        return window == Integer.MAX_VALUE ? LlamaConfig.Variant.NONE
                : new LlamaConfig.Variant(0, 0, 0, window, List.of(), 0);
    }

    @Override
    public void writeVariant(LlamaConfig c, ObjectNode n) {
        n.put("hidden_act", "silu");
        if (c.variant().slidingWindow() > 0) {
            n.put("sliding_window", c.variant().slidingWindow());
        } else if (slidingWindow) {
            n.putNull("sliding_window");
        }
    }

    @Override
    public Map<String, long[]> weightShapes(LlamaConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        DecoderShapes.embedding(s, c);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {h});
            DecoderShapes.attention(s, p, c);
            if (qkvBias || c.attentionBias()) {
                s.put(p + "self_attn.q_proj.bias", new long[] {q});
                s.put(p + "self_attn.k_proj.bias", new long[] {kv});
                s.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            if (c.attentionBias()) {
                s.put(p + "self_attn.o_proj.bias", new long[] {h});
            }
            if (qkNorm) {
                DecoderShapes.headNorms(s, p, c);
            }
            s.put(p + "post_attention_layernorm.weight", new long[] {h});
            DecoderShapes.mlp(s, p, c);
        }
        DecoderShapes.head(s, c);
        return s;
    }

    @Override
    public LoraSites loraSites(LlamaConfig c) {
        return DecoderShapes.separateProjectionSites(c);
    }

    @Override
    public NDArray embed(DecoderPass pass) {
        return pass.embed();
    }

    @Override
    public NDArray layer(DecoderPass pass, int i, NDArray h) {
        LlamaConfig c = pass.config();
        double scale = 1 / Math.sqrt(c.headDim());
        String p = "model.layers." + i + ".";
        NDArray x = pass.rmsNorm(h, p + "input_layernorm.weight");
        NDArray[] qkv = pass.queryKeyValue(x, i, qkNorm ? pass::rmsNorm : null);
        h = h.add(pass.project(pass.attention(i, qkv[0], qkv[1], qkv[2], scale, 0), i, LoraTarget.O_PROJ));
        x = pass.rmsNorm(h, p + "post_attention_layernorm.weight");
        NDArray act = DecoderPass.swiGlu(pass.project(x, i, LoraTarget.GATE_PROJ), pass.project(x, i, LoraTarget.UP_PROJ));
        return h.add(pass.project(act, i, LoraTarget.DOWN_PROJ));
    }

    @Override
    public NDArray logits(DecoderPass pass, NDArray hidden) {
        return pass.head(pass.rmsNorm(hidden, "model.norm.weight"));
    }
}
