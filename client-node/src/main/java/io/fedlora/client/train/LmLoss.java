package io.fedlora.client.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedlora.client.data.Batch;

/** Next-token cross-entropy on answer tokens only, and the per-example exact-match check. */
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

    /** Sum of per-token NLL over answer tokens, and per example whether every answer argmax is right. */
    static float nllSum(NDArray logits, Batch batch, boolean[] exactOut) {
        NDManager m = logits.getManager();
        NDArray targets = io.fedlora.client.model.OwnedArrays.of(m, batch.targets(), new Shape(batch.size(), batch.length(), 1));
        NDArray mask = io.fedlora.client.model.OwnedArrays.of(m, batch.mask(), new Shape(batch.size(), batch.length()));
        float sum = logits.logSoftmax(-1).gather(targets, -1).squeeze(-1).neg().mul(mask).sum().getFloat();
        long[] argmax = logits.argMax(-1).toLongArray();
        long[] tgt = batch.targets();
        float[] msk = batch.mask();
        int len = batch.length();
        for (int b = 0; b < batch.size(); b++) {
            boolean ok = true;
            boolean any = false;
            for (int t = 0; t < len && ok; t++) {
                int i = b * len + t;
                if (msk[i] > 0) {
                    any = true;
                    ok = argmax[i] == tgt[i];
                }
            }
            exactOut[b] = ok && any;
        }
        return sum;
    }
}
