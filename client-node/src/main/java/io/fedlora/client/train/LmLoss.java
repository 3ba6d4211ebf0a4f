package io.fedlora.client.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.DecoderPass;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;

/**
 * Next-token cross-entropy on answer tokens only over full logits (the reference the chunked training
 * loss is tested against), and the per-example exact-match check (chunked).
 */
public final class LmLoss {

    private LmLoss() {}

    /** Inputs [B, T] as int64 in {@code m}. */
    public static NDArray inputs(NDManager m, Batch batch) {
        return io.fedlora.client.model.OwnedArrays.of(m, batch.inputs(), new Shape(batch.size(), batch.length()));
    }

    /**
     * Mean negative log-likelihood over answer tokens: logits [B, T, V] against the batch's
     * targets, masked. A batch with no answer tokens gives 0.
     */
    public static NDArray maskedCrossEntropy(NDArray logits, Batch batch) {
        NDManager m = logits.getManager();
        NDArray targets = io.fedlora.client.model.OwnedArrays.of(m, batch.targets(), new Shape(batch.size(), batch.length(), 1));
        NDArray mask = io.fedlora.client.model.OwnedArrays.of(m, batch.mask(), new Shape(batch.size(), batch.length()));
        NDArray nll = logits.logSoftmax(-1).gather(targets, -1).squeeze(-1).neg();
        float count = Math.max(1, batch.answerTokens());
        // Not div(float): DJL makes a Number operand with from_blob over a Java buffer that is freed after
        // the op, while autograd keeps it for the backward; seen to scale gradients by garbage (about 1 in
        // 100 backward passes). An engine-owned scalar is safe.
        return nll.mul(mask).sum().div(io.fedlora.client.model.OwnedArrays.of(m, new float[] {count}, new Shape()));
    }

    /**
     * Sum of per-token NLL over answer tokens, and per example whether every answer argmax is right;
     * logits only at answer positions, {@code chunk} of them at a time. No gradients are recorded.
     */
    static float nllSum(LlamaModel model, LoraAdapters lora, Batch batch, boolean[] exactOut, int chunk,
            NDManager step) {
        AnswerTokens tokens = AnswerTokens.meanOverBatch(batch);
        DecoderPass pass = model.pass(inputs(step, batch), model.projection(lora, false), batch.segments());
        boolean[] correct = new boolean[tokens.count()];
        float[] nll = ChunkedHeadLoss.score(pass, ChunkedHeadLoss.select(pass.lastHidden(), tokens), tokens, chunk,
                correct);
        java.util.Arrays.fill(exactOut, 0, batch.examples(), true);
        boolean[] any = new boolean[batch.examples()];
        float sum = 0;
        for (int i = 0; i < nll.length; i++) {
            sum += nll[i];
            int e = tokens.exampleOf()[i];
            any[e] = true;
            exactOut[e] &= correct[i];
        }
        for (int e = 0; e < any.length; e++) {
            exactOut[e] &= any[e];
        }
        return sum;
    }
}
