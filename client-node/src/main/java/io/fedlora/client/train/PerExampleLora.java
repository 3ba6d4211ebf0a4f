package io.fedlora.client.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.LoraLinear;
import io.fedlora.client.model.OwnedArrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-example gradients of the trainable LoRA factors in one batched forward/backward.
 *
 * <p>Each trainable factor P [..] is expanded to a leaf P_e [N, ..] (one copy per example) and the
 * LoRA branch is computed with batched matmuls {@code x_i·A_iᵀ·B_iᵀ}; autograd then leaves example
 * i's gradient in row i of P_e's gradient. The loss is the sum over examples of each example's own
 * mean answer-token NLL, so row i is exactly the gradient a batch of one would give.
 *
 * <p>{@link LoraLinear} only takes 2-D factors, so this class carries its own copy of
 * {@link LlamaModel#forward}: same weights, same op order (checked against the model by the tests).
 * A model hook would remove the copy; see the DP report.
 */
final class PerExampleLora {

    private static final float MASKED = -1e9f;

    private PerExampleLora() {}

    /**
     * Per-example gradients [N, shape of p] for each p in {@code trainable} (arrays in {@code step}).
     * Records and closes a gradient collector; grad mode is off on return.
     *
     * @param lossesOut per-example losses, length N (may be null)
     */
    static NDArray[] gradients(LlamaModel model, LoraAdapters lora, List<NDArray> trainable, Batch batch,
            double dropout, boolean training, NDManager step, float[] lossesOut) {
        int n = batch.size();
        JniUtils.setGradMode(false);
        Map<NDArray, NDArray> expanded = new IdentityHashMap<>();
        NDArray[] leaves = new NDArray[trainable.size()];
        for (int i = 0; i < leaves.length; i++) {
            NDArray p = trainable.get(i);
            NDArray e = step.zeros(new Shape(n).addAll(p.getShape()));
            e.addi(p); // broadcast copy, lands in step
            e.setRequiresGradient(true);
            leaves[i] = e;
            expanded.put(p, e);
        }
        NDArray[] grads = new NDArray[leaves.length];
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = forward(model, lora, expanded, LmLoss.inputs(step, batch), dropout, training);
            NDArray perExample = perExampleLoss(logits, batch);
            gc.backward(perExample.sum());
            if (lossesOut != null) {
                float[] l = perExample.toFloatArray();
                System.arraycopy(l, 0, lossesOut, 0, n);
            }
        }
        JniUtils.setGradMode(false); // per thread: see TrainingStep
        for (int i = 0; i < leaves.length; i++) {
            grads[i] = leaves[i].getGradient();
            grads[i].attach(step);
        }
        return grads;
    }

    /** Each example's mean NLL over its own answer tokens [N] (0 for an example with none). */
    static NDArray perExampleLoss(NDArray logits, Batch batch) {
        NDManager m = logits.getManager();
        int n = batch.size();
        int len = batch.length();
        NDArray targets = OwnedArrays.of(m, batch.targets(), new Shape(n, len, 1));
        float[] mask = batch.mask();
        float[] weights = new float[mask.length];
        for (int b = 0; b < n; b++) {
            int count = 0;
            for (int t = 0; t < len; t++) {
                count += mask[b * len + t] > 0 ? 1 : 0;
            }
            float w = 1f / Math.max(1, count);
            for (int t = 0; t < len; t++) {
                weights[b * len + t] = mask[b * len + t] * w;
            }
        }
        NDArray wt = OwnedArrays.of(m, weights, new Shape(n, len));
        NDArray nll = logits.logSoftmax(-1).gather(targets, -1).squeeze(-1).neg();
        return nll.mul(wt).sum(new int[] {1});
    }

    /** {@link LlamaModel#forward} with per-example LoRA factors where {@code expanded} has them. */
    static NDArray forward(LlamaModel model, LoraAdapters lora, Map<NDArray, NDArray> expanded, NDArray tokens,
            double dropout, boolean training) {
        LlamaConfig config = model.config();
        NDManager m = tokens.getManager();
        int t = Math.toIntExact(tokens.getShape().get(1));
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray[] rope = model.rotary(m, 0, t);
        NDArray mask = causalMask(m, t, config.kvGroups());
        NDArray h = Embedding.embedding(tokens, model.weight("model.embed_tokens.weight"), SparseFormat.DENSE).head();
        Projector proj = new Projector(model, lora, expanded, (float) dropout, training);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            NDArray x = model.rmsNorm(h, model.weight(p + "input_layernorm.weight"));
            h = h.add(attention(config, proj, x, i, rope, mask));
            x = model.rmsNorm(h, model.weight(p + "post_attention_layernorm.weight"));
            NDArray gate = proj.project(x, i, LoraTarget.GATE_PROJ);
            NDArray up = proj.project(x, i, LoraTarget.UP_PROJ);
            NDArray act = Activation.sigmoid(gate).mul(gate).mul(up);
            h = h.add(proj.project(act, i, LoraTarget.DOWN_PROJ));
        }
        h = model.rmsNorm(h, model.weight("model.norm.weight"));
        NDArray head = config.tieWordEmbeddings() ? model.weight("model.embed_tokens.weight") : model.weight("lm_head.weight");
        return Linear.linear(h, head).head();
    }

    private record Projector(LlamaModel model, LoraAdapters lora, Map<NDArray, NDArray> expanded, float dropout,
            boolean training) {

        NDArray project(NDArray x, int layer, LoraTarget target) {
            LoraLinear adapted = lora == null ? null : lora.get(layer, target);
            NDArray bias = model.baseBias(layer, target);
            NDArray w = model.baseWeight(layer, target);
            NDArray base = bias == null ? Linear.linear(x, w).head() : Linear.linear(x, w, bias).head();
            if (adapted == null) {
                return base;
            }
            NDArray in = training && dropout > 0 ? Dropout.dropout(x, dropout, true).head() : x;
            NDArray ae = expanded.get(adapted.a());
            NDArray low = ae == null ? Linear.linear(in, adapted.a()).head() : in.matMul(ae.transpose(0, 2, 1));
            NDArray be = expanded.get(adapted.b());
            NDArray out = be == null ? Linear.linear(low, adapted.b()).head() : low.matMul(be.transpose(0, 2, 1));
            return base.add(out.mul(scalar(out.getManager(), adapted.scale())));
        }
    }

    /** See {@link OwnedArrays#scalar}: never a Number operand inside the autograd graph. */
    static NDArray scalar(NDManager m, float v) {
        return OwnedArrays.scalar(m, v);
    }

    private static NDArray attention(LlamaConfig config, Projector proj, NDArray x, int layer, NDArray[] rope,
            NDArray mask) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int groups = config.kvGroups();
        int d = config.headDim();
        NDArray q = proj.project(x, layer, LoraTarget.Q_PROJ).reshape(b, t, heads, d);
        NDArray k = proj.project(x, layer, LoraTarget.K_PROJ).reshape(b, t, kvHeads, d);
        NDArray v = proj.project(x, layer, LoraTarget.V_PROJ).reshape(b, t, kvHeads, d);
        q = LlamaModel.applyRotary(q, rope);
        k = LlamaModel.applyRotary(k, rope);
        NDArray qg = q.reshape(b, t, kvHeads, groups, d).transpose(0, 2, 3, 1, 4).reshape(b, kvHeads, groups * t, d);
        NDArray kt = k.transpose(0, 2, 3, 1);
        NDArray vt = v.transpose(0, 2, 1, 3);
        NDArray scores = qg.matMul(kt).mul(scalar(qg.getManager(), (float) (1.0 / Math.sqrt(d)))).add(mask);
        NDArray out = scores.softmax(-1).matMul(vt);
        out = out.reshape(b, kvHeads, groups, t, d).transpose(0, 3, 1, 2, 4).reshape(b, t, (long) heads * d);
        return proj.project(out, layer, LoraTarget.O_PROJ);
    }

    private static NDArray causalMask(NDManager m, int t, int groups) {
        float[] mask = new float[groups * t * t];
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < t; i++) {
                for (int j = i + 1; j < t; j++) {
                    mask[(g * t + i) * t + j] = MASKED;
                }
            }
        }
        return OwnedArrays.of(m, mask, new Shape((long) groups * t, t));
    }
}
