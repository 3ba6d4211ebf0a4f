package io.fedlora.client.model;

import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraSites;
import java.util.Map;

/** The weight shapes families share, added to a family's name-to-shape map in Hugging Face order. */
final class DecoderShapes {

    private DecoderShapes() {}

    static void embedding(Map<String, long[]> s, LlamaConfig c) {
        s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), c.hiddenSize()});
    }

    /** Separate q/k/v/o projections of layer prefix {@code p}. */
    static void attention(Map<String, long[]> s, String p, LlamaConfig c) {
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        s.put(p + "self_attn.q_proj.weight", new long[] {q, h});
        s.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
        s.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
        s.put(p + "self_attn.o_proj.weight", new long[] {h, q});
    }

    /** The per-head norms of q and k (Qwen3, Gemma 3), over head_dim. */
    static void headNorms(Map<String, long[]> s, String p, LlamaConfig c) {
        s.put(p + "self_attn.q_norm.weight", new long[] {c.headDim()});
        s.put(p + "self_attn.k_norm.weight", new long[] {c.headDim()});
    }

    /** Separate gate/up/down projections. */
    static void mlp(Map<String, long[]> s, String p, LlamaConfig c) {
        long h = c.hiddenSize();
        s.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), h});
        s.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), h});
        s.put(p + "mlp.down_proj.weight", new long[] {h, c.intermediateSize()});
    }

    /** The final norm and, unless tied to the embedding, {@code lm_head}. */
    static void head(Map<String, long[]> s, LlamaConfig c) {
        s.put("model.norm.weight", new long[] {c.hiddenSize()});
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new long[] {c.vocabSize(), c.hiddenSize()});
        }
    }

    /** The seven LoRA sites of separate q/k/v/o and gate/up/down projections. */
    static LoraSites separateProjectionSites(LlamaConfig c) {
        return new LoraLayouts.LlamaDims(c.numHiddenLayers(), c.hiddenSize(), c.intermediateSize(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim()).sites(c.modelType());
    }
}
