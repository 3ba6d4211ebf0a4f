package io.fedlora.adapter;

import java.util.List;

/**
 * A linear layer LoRA can wrap, with its PEFT path inside a decoder layer. Which of them a model
 * has, and their in/out features, come from its family; see {@link LoraSites}.
 */
public enum LoraTarget {
    Q_PROJ("q_proj", "self_attn"),
    K_PROJ("k_proj", "self_attn"),
    V_PROJ("v_proj", "self_attn"),
    O_PROJ("o_proj", "self_attn"),
    GATE_PROJ("gate_proj", "mlp"),
    UP_PROJ("up_proj", "mlp"),
    DOWN_PROJ("down_proj", "mlp"),
    /** Phi-3's fused q, k and v: one [(heads + 2·kvHeads)·headDim, hidden] weight. */
    QKV_PROJ("qkv_proj", "self_attn"),
    /** Phi-3's fused gate and up: one [2·intermediate, hidden] weight, gate rows first. */
    GATE_UP_PROJ("gate_up_proj", "mlp");

    public static final List<String> DEFAULT = List.of("q_proj", "v_proj");

    private final String module;
    private final String block;

    LoraTarget(String module, String block) {
        this.module = module;
        this.block = block;
    }

    public String module() {
        return module;
    }

    /** e.g. {@code model.layers.3.self_attn.q_proj}: the base weight is this plus {@code .weight}. */
    public String basePath(int layer) {
        return "model.layers." + layer + "." + block + "." + module;
    }

    /** PEFT's tensor name, e.g. {@code base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight}. */
    public String peftName(int layer, char factor) {
        return "base_model.model." + basePath(layer) + ".lora_" + factor + ".weight";
    }
}
