package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.LoraSites;
import io.fedlora.adapter.LoraTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gemma 2 and the Gemma 3 text model. Against Llama: embeddings scaled by √hidden, RMSNorm times
 * (1 + w), norms after attention and around the MLP as well as before, a GeGLU MLP with the tanh
 * GELU, attention scaled by {@code query_pre_attn_scalar^-1/2}, sliding-window layers mixed with
 * global ones. Gemma 2 soft-caps attention scores and the final logits; Gemma 3 norms q and k per
 * head and gives its sliding layers their own rotary base ({@code rope_local_base_freq}, unscaled).
 */
record GemmaFamily(String modelType, String architecture, boolean gemma3) implements ModelFamily {

    static final GemmaFamily GEMMA2 = new GemmaFamily("gemma2", "Gemma2ForCausalLM", false);
    static final GemmaFamily GEMMA3 = new GemmaFamily("gemma3_text", "Gemma3ForCausalLM", true);

    private static final String ACTIVATION = "gelu_pytorch_tanh";

    @Override
    public boolean tiedByDefault() {
        return true;
    }

    @Override
    public float identityNormWeight() {
        return 0f;
    }

    /** Defaults are Hugging Face's config classes'; an explicit null turns a soft cap off. */
    @Override
    public LlamaConfig.Variant readVariant(ConfigFields f, int layers) throws ModelFormatException {
        f.requireActivation(ACTIVATION, ACTIVATION);
        List<String> layerTypes = f.strings("layer_types", List.of(LlamaConfig.Variant.SLIDING, LlamaConfig.Variant.FULL));
        if (!layerTypes.isEmpty() && layerTypes.size() != layers) {
            throw new ModelFormatException(f.file(), "field layer_types: has " + layerTypes.size()
                    + " entries for num_hidden_layers " + layers);
        }
        if (layerTypes.isEmpty()) {
            // Gemma 2 alternates, starting with a sliding layer; Gemma 3 has a global layer every N-th.
            int pattern = gemma3 ? f.positiveInt("sliding_window_pattern", 6) : 2;
            layerTypes = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                layerTypes.add((i + 1) % pattern != 0 ? LlamaConfig.Variant.SLIDING : LlamaConfig.Variant.FULL);
            }
        }
        return new LlamaConfig.Variant(
                f.positiveDouble("query_pre_attn_scalar", 256),
                cap(f, "attn_logit_softcapping", gemma3 ? 0 : 50.0),
                cap(f, "final_logit_softcapping", gemma3 ? 0 : 30.0),
                f.positiveInt("sliding_window", 4096),
                layerTypes,
                gemma3 ? f.positiveDouble("rope_local_base_freq", 10000.0) : 0);
    }

    private static double cap(ConfigFields f, String field, double dflt) throws ModelFormatException {
        JsonNode v = f.root().get(field);
        return v != null && v.isNull() ? 0 : f.positiveDouble(field, dflt);
    }

    @Override
    public void writeVariant(LlamaConfig c, ObjectNode n) {
        LlamaConfig.Variant v = c.variant();
        n.put("hidden_activation", ACTIVATION);
        n.put("query_pre_attn_scalar", v.queryPreAttnScalar());
        putCap(n, "attn_logit_softcapping", v.attnLogitSoftcapping());
        putCap(n, "final_logit_softcapping", v.finalLogitSoftcapping());
        n.put("sliding_window", v.slidingWindow());
        v.layerTypes().forEach(n.putArray("layer_types")::add);
        if (gemma3) {
            n.put("rope_local_base_freq", v.ropeLocalBaseFreq());
        }
    }

    private static void putCap(ObjectNode n, String field, double cap) {
        if (cap > 0) {
            n.put(field, cap);
        } else {
            n.putNull(field);
        }
    }

    @Override
    public Map<String, long[]> weightShapes(LlamaConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long h = c.hiddenSize();
        DecoderShapes.embedding(s, c);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {h});
            DecoderShapes.attention(s, p, c);
            if (gemma3) {
                DecoderShapes.headNorms(s, p, c);
            }
            s.put(p + "post_attention_layernorm.weight", new long[] {h});
            s.put(p + "pre_feedforward_layernorm.weight", new long[] {h});
            DecoderShapes.mlp(s, p, c);
            s.put(p + "post_feedforward_layernorm.weight", new long[] {h});
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
        NDArray e = pass.embed();
        return e.mul(DecoderPass.scalar(e, Math.sqrt(pass.config().hiddenSize())));
    }

    @Override
    public NDArray layer(DecoderPass pass, int i, NDArray h) {
        LlamaConfig c = pass.config();
        LlamaConfig.Variant v = c.variant();
        double scale = 1 / Math.sqrt(v.queryPreAttnScalar());
        String p = "model.layers." + i + ".";
        NDArray x = pass.rmsNormPlusOne(h, p + "input_layernorm.weight");
        NDArray[] qkv = pass.queryKeyValue(x, i, gemma3 ? pass::rmsNormPlusOne : null);
        NDArray attn = pass.project(pass.attention(i, qkv[0], qkv[1], qkv[2], scale, v.attnLogitSoftcapping()), i,
                LoraTarget.O_PROJ);
        h = h.add(pass.rmsNormPlusOne(attn, p + "post_attention_layernorm.weight"));
        x = pass.rmsNormPlusOne(h, p + "pre_feedforward_layernorm.weight");
        NDArray act = DecoderPass.geGlu(pass.project(x, i, LoraTarget.GATE_PROJ), pass.project(x, i, LoraTarget.UP_PROJ));
        NDArray mlp = pass.project(act, i, LoraTarget.DOWN_PROJ);
        return h.add(pass.rmsNormPlusOne(mlp, p + "post_feedforward_layernorm.weight"));
    }

    @Override
    public NDArray logits(DecoderPass pass, NDArray hidden) {
        NDArray logits = pass.head(pass.rmsNormPlusOne(hidden, "model.norm.weight"));
        double cap = pass.config().variant().finalLogitSoftcapping();
        return cap > 0 ? DecoderPass.softcap(logits, cap) : logits;
    }
}
