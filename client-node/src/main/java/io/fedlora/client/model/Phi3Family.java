package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.LoraSites;
import io.fedlora.adapter.LoraTarget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Phi-3: a Llama-style block with fused projections, {@code qkv_proj} (q rows, then k, then v) and
 * {@code gate_up_proj} (gate rows, then up), which are also its LoRA targets, so a LoRA B spans the
 * fused output. Its {@code sliding_window} applies to every layer.
 */
final class Phi3Family implements ModelFamily {

    static final Phi3Family PHI3 = new Phi3Family();

    private Phi3Family() {}

    @Override
    public String modelType() {
        return "phi3";
    }

    @Override
    public String architecture() {
        return "Phi3ForCausalLM";
    }

    @Override
    public LlamaConfig.Variant readVariant(ConfigFields f, int layers) throws ModelFormatException {
        f.requireActivation("silu", "silu");
        if (f.has("partial_rotary_factor") && f.positiveDouble("partial_rotary_factor", 1) != 1.0) {
            throw new ModelFormatException(f.file(), "field partial_rotary_factor: only 1.0 is supported, got "
                    + f.root().get("partial_rotary_factor"));
        }
        return LlamaFamily.windowOnEveryLayer(f);
    }

    @Override
    public void writeVariant(LlamaConfig c, ObjectNode n) {
        LlamaFamily.MISTRAL.writeVariant(c, n); // the same fields: silu, sliding_window
    }

    private static long qkvRows(LlamaConfig c) {
        return (long) (c.numAttentionHeads() + 2 * c.numKeyValueHeads()) * c.headDim();
    }

    @Override
    public Map<String, long[]> weightShapes(LlamaConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        DecoderShapes.embedding(s, c);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {h});
            s.put(p + "self_attn.qkv_proj.weight", new long[] {qkvRows(c), h});
            s.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            s.put(p + "post_attention_layernorm.weight", new long[] {h});
            s.put(p + "mlp.gate_up_proj.weight", new long[] {2L * c.intermediateSize(), h});
            s.put(p + "mlp.down_proj.weight", new long[] {h, c.intermediateSize()});
        }
        DecoderShapes.head(s, c);
        return s;
    }

    @Override
    public LoraSites loraSites(LlamaConfig c) {
        int h = c.hiddenSize();
        int q = c.numAttentionHeads() * c.headDim();
        return new LoraSites(modelType(), c.numHiddenLayers(), List.of(
                new LoraSites.Site(LoraTarget.QKV_PROJ, h, Math.toIntExact(qkvRows(c))),
                new LoraSites.Site(LoraTarget.O_PROJ, q, h),
                new LoraSites.Site(LoraTarget.GATE_UP_PROJ, h, 2 * c.intermediateSize()),
                new LoraSites.Site(LoraTarget.DOWN_PROJ, c.intermediateSize(), h)));
    }

    @Override
    public NDArray embed(DecoderPass pass) {
        return pass.embed();
    }

    @Override
    public NDArray layer(DecoderPass pass, int i, NDArray h) {
        LlamaConfig c = pass.config();
        long b = h.getShape().get(0);
        long t = h.getShape().get(1);
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        double scale = 1 / Math.sqrt(c.headDim());
        String p = "model.layers." + i + ".";
        NDArray x = pass.rmsNorm(h, p + "input_layernorm.weight");
        NDArray qkv = pass.project(x, i, LoraTarget.QKV_PROJ);
        NDArray qh = qkv.get("..., :" + q).reshape(b, t, c.numAttentionHeads(), c.headDim());
        NDArray kh = qkv.get("..., " + q + ":" + (q + kv)).reshape(b, t, c.numKeyValueHeads(), c.headDim());
        NDArray vh = qkv.get("..., " + (q + kv) + ":").reshape(b, t, c.numKeyValueHeads(), c.headDim());
        h = h.add(pass.project(pass.attention(i, qh, kh, vh, scale, 0), i, LoraTarget.O_PROJ));
        x = pass.rmsNorm(h, p + "post_attention_layernorm.weight");
        NDArray gateUp = pass.project(x, i, LoraTarget.GATE_UP_PROJ);
        long inter = c.intermediateSize();
        NDArray act = DecoderPass.swiGlu(gateUp.get("..., :" + inter), gateUp.get("..., " + inter + ":"));
        return h.add(pass.project(act, i, LoraTarget.DOWN_PROJ));
    }

    @Override
    public NDArray logits(DecoderPass pass, NDArray hidden) {
        return pass.head(pass.rmsNorm(hidden, "model.norm.weight"));
    }
}
