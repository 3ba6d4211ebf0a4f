package io.fedlora.client.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedlora.client.model.DecoderPass;
import io.fedlora.client.model.OwnedArrays;

/**
 * The loss head of a training step, over answer tokens only and a chunk of them at a time: [tokens,
 * vocab] logits never exist for the whole batch, and never in the decoder's autograd graph.
 *
 * <p>Each chunk of the selected last hidden states is copied out of the graph as a leaf, run through
 * the family's own head (final norm, output projection, Gemma's logit soft-cap), and its weighted NLL
 * backpropagated at once: that leaves dL/dh for the chunk in the leaf and frees the chunk's logits. A
 * trainable head (pretraining) gets its gradient in the same backward. The decoder then backpropagates
 * the surrogate {@code Σ h·G} with G = dL/dh held fixed, whose gradient with respect to every earlier
 * parameter is the loss's own.
 */
final class ChunkedHeadLoss {

    /**
     * Tokens per chunk: [256, vocab] logits are 33 MB at vocabulary 32,000. 1,024 was measured no faster
     * on the 100M model and left a checkpointed step's peak 1 GB higher (docs/benchmarks.md).
     */
    static final int DEFAULT_CHUNK = 256;

    /**
     * @param gradient dL/dh of the selected rows [count, hidden], out of any graph
     * @param nll each selected position's NLL (not weighted)
     */
    record Result(NDArray gradient, float[] nll) {}

    private ChunkedHeadLoss() {}

    /**
     * The loss at {@code tokens}' positions of {@code hidden} [B, T, hidden] and its gradient there,
     * inside the open collector {@code gc}; arrays land in {@code step}.
     */
    static Result evaluate(GradientCollector gc, DecoderPass pass, NDArray selected, AnswerTokens tokens, int chunk,
            NDManager step) {
        int n = tokens.count();
        long width = selected.getShape().get(1);
        float[] nll = new float[n];
        if (n == 0) {
            return new Result(step.zeros(new Shape(0, width)), nll);
        }
        NDArray detached = selected.stopGradient();
        NDList gradients = new NDList();
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            try (NDManager scope = step.newSubManager()) {
                NDArray leaf = scope.zeros(new Shape(to - from, width)).addi(detached.get(from + ":" + to));
                leaf.setRequiresGradient(true);
                NDArray logits = pass.logits(leaf);
                NDArray targets = OwnedArrays.of(scope, slice(tokens.targets(), from, to), new Shape(to - from, 1));
                NDArray weights = OwnedArrays.of(scope, slice(tokens.weights(), from, to), new Shape(to - from));
                NDArray logProbabilities = logits.logSoftmax(-1);
                logits.close(); // backward needs only the log-probabilities: one [chunk, vocab] array less
                NDArray tokenNll = logProbabilities.gather(targets, -1).squeeze(-1).neg();
                gc.backward(tokenNll.mul(weights).sum());
                System.arraycopy(tokenNll.toFloatArray(), 0, nll, from, to - from);
                NDArray g = leaf.getGradient();
                g.attach(step);
                gradients.add(g);
            }
        }
        return new Result(gradients.size() == 1 ? gradients.head() : NDArrays.concat(gradients), nll);
    }

    /**
     * Scoring without gradients: each selected position's NLL and whether its argmax is the target,
     * a chunk of logits at a time.
     */
    static float[] score(DecoderPass pass, NDArray selected, AnswerTokens tokens, int chunk, boolean[] correctOut) {
        int n = tokens.count();
        float[] nll = new float[n];
        NDManager outer = selected.getManager();
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            try (NDManager scope = outer.newSubManager()) {
                NDArray rows = selected.get(from + ":" + to);
                rows.tempAttach(scope);
                NDArray logits = pass.logits(rows);
                NDArray targets = OwnedArrays.of(scope, slice(tokens.targets(), from, to), new Shape(to - from, 1));
                float[] chunkNll = logits.logSoftmax(-1).gather(targets, -1).squeeze(-1).neg().toFloatArray();
                System.arraycopy(chunkNll, 0, nll, from, to - from);
                long[] argmax = logits.argMax(-1).toLongArray();
                for (int i = from; i < to; i++) {
                    correctOut[i] = argmax[i - from] == tokens.targets()[i];
                }
            }
        }
        return nll;
    }

    /** The rows of hidden [B, T, d] at the answer positions, [count, d], in the graph. */
    static NDArray select(NDArray hidden, AnswerTokens tokens) {
        long width = hidden.getShape().get(2);
        NDManager m = hidden.getManager();
        NDArray index = OwnedArrays.of(m, tokens.positions(), new Shape(tokens.count()));
        return hidden.reshape(-1, width).get(index);
    }

    private static long[] slice(long[] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }

    private static float[] slice(float[] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }
}
