package io.fedlora.client.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.pytorch.jni.JniUtils;
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
 * mean answer-token NLL ({@link AnswerTokens#meanPerExample}), so row i is exactly the gradient a batch
 * of one would give; the loss itself is {@link ChunkedHeadLoss}'s, per token, so the same holds there.
 *
 * <p>The forward pass is the model's own ({@link LlamaModel#forward(NDArray, Projection)}); only
 * the projections differ, through its {@link Projection} hook: {@link LoraLinear} takes 2-D factors,
 * so a wrapped projection is computed here with the expanded ones.
 */
final class PerExampleLora {

    private PerExampleLora() {}

    /** {@link #gradients(LlamaModel, LoraAdapters, List, Batch, double, boolean, NDManager, float[], StepOptions)} with the defaults. */
    static NDArray[] gradients(LlamaModel model, LoraAdapters lora, List<NDArray> trainable, Batch batch,
            double dropout, boolean training, NDManager step, float[] lossesOut) {
        return gradients(model, lora, trainable, batch, dropout, training, step, lossesOut, StepOptions.DEFAULT);
    }

    /**
     * Per-example gradients [N, shape of p] for each p in {@code trainable} (arrays in {@code step}).
     * Records and closes gradient collectors; grad mode is off on return.
     *
     * @param lossesOut per-example losses, length N (may be null)
     */
    static NDArray[] gradients(LlamaModel model, LoraAdapters lora, List<NDArray> trainable, Batch batch,
            double dropout, boolean training, NDManager step, float[] lossesOut, StepOptions options) {
        if (batch.isPacked()) {
            // The expanded factors are per row: a row must be one example. DP-SGD batches are never packed.
            throw new IllegalArgumentException("per-example gradients need one example per row, not a packed batch");
        }
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
        // Each example's mean over its own answer tokens: row i of a leaf's gradient is example i's alone.
        float[] losses = AnswerLossBackward.run(model, new Projector(model, lora, expanded, (float) dropout, training),
                batch, AnswerTokens.meanPerExample(batch), options, step).perExampleLoss();
        if (lossesOut != null) {
            System.arraycopy(losses, 0, lossesOut, 0, n);
        }
        NDArray[] grads = new NDArray[leaves.length];
        for (int i = 0; i < leaves.length; i++) {
            grads[i] = leaves[i].getGradient();
            grads[i].attach(step);
        }
        return grads;
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
