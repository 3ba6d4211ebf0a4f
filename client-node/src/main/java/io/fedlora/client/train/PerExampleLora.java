package io.fedlora.client.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.LoraLinear;
import io.fedlora.client.model.OwnedArrays;
import io.fedlora.client.model.Projection;
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
 * <p>The forward pass is the model's own ({@link LlamaModel#forward(NDArray, Projection)}); only
 * the projections differ, through its {@link Projection} hook: {@link LoraLinear} takes 2-D factors,
 * so a wrapped projection is computed here with the expanded ones.
 */
final class PerExampleLora {

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
        return model.forward(tokens, new Projector(model, lora, expanded, (float) dropout, training));
    }

    private record Projector(LlamaModel model, LoraAdapters lora, Map<NDArray, NDArray> expanded, float dropout,
            boolean training) implements Projection {

        @Override
        public NDArray apply(NDArray x, int layer, LoraTarget target) {
            LoraLinear adapted = lora == null ? null : lora.get(layer, target);
            NDArray base = model.baseProjection(x, layer, target);
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
}
