package io.fedlora.client.train;

import io.fedlora.client.data.Batch;
import java.util.Arrays;

/**
 * The positions of a batch that carry loss, each with its target, its weight in the loss and the
 * example it belongs to: the loss is {@code Σ weight·NLL} over these positions only, so nothing is
 * computed for prompt or padding positions.
 *
 * @param positions flat indices {@code row·length + t} into the batch's [B, T] grid, ascending
 * @param weights 1/(answer tokens of the batch) for the batch mean, 1/(answer tokens of the example)
 *     for the per-example means DP-SGD sums
 * @param exampleOf the example of each position (its row, or its segment in a packed batch)
 */
public record AnswerTokens(long[] positions, long[] targets, float[] weights, int[] exampleOf, int examples) {

    /** Weights for the batch's mean over all its answer tokens (0 loss for a batch with none). */
    public static AnswerTokens meanOverBatch(Batch batch) {
        int[] example = exampleOfPosition(batch);
        long[] positions = selected(batch);
        float w = 1f / Math.max(1, positions.length);
        float[] weights = new float[positions.length];
        Arrays.fill(weights, w);
        return of(batch, positions, weights, example);
    }

    /** Weights for the sum over examples of each example's mean NLL (an example with no answer: 0). */
    public static AnswerTokens meanPerExample(Batch batch) {
        int[] example = exampleOfPosition(batch);
        long[] positions = selected(batch);
        int[] count = new int[batch.examples()];
        for (long p : positions) {
            count[example[(int) p]]++;
        }
        float[] weights = new float[positions.length];
        for (int i = 0; i < positions.length; i++) {
            weights[i] = 1f / count[example[(int) positions[i]]];
        }
        return of(batch, positions, weights, example);
    }

    private static AnswerTokens of(Batch batch, long[] positions, float[] weights, int[] exampleOfPosition) {
        long[] targets = new long[positions.length];
        int[] example = new int[positions.length];
        for (int i = 0; i < positions.length; i++) {
            targets[i] = batch.targets()[(int) positions[i]];
            example[i] = exampleOfPosition[(int) positions[i]];
        }
        return new AnswerTokens(positions, targets, weights, example, batch.examples());
    }

    private static long[] selected(Batch batch) {
        float[] mask = batch.mask();
        long[] out = new long[mask.length];
        int n = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] > 0) {
                out[n++] = i;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int[] exampleOfPosition(Batch batch) {
        int[] out = new int[batch.size() * batch.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = batch.exampleAt(i);
        }
        return out;
    }

    public int count() {
        return positions.length;
    }

    /** Σ weight·nll per example, from the per-position NLL. */
    public float[] perExample(float[] nll) {
        float[] out = new float[examples];
        for (int i = 0; i < nll.length; i++) {
            out[exampleOf[i]] += weights[i] * nll[i];
        }
        return out;
    }
}
