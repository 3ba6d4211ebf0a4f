package io.fedlora.client.data;

import java.util.List;

/**
 * A right-padded batch for next-token training: {@code inputs[b][t]} predicts {@code targets[b][t]}
 * (the following token); {@code mask} is 1 where that target carries loss (an answer, assistant or
 * text token of a real example, see {@link TokenizedExample#inLoss()}).
 * Arrays are row-major [size, length]; length is the longest example minus one.
 */
public record Batch(long[] inputs, long[] targets, float[] mask, int size, int length) {

    public static Batch of(List<TokenizedExample> examples, int padId) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int len = 1;
        for (TokenizedExample e : examples) {
            len = Math.max(len, e.length() - 1);
        }
        int n = examples.size();
        long[] in = new long[n * len];
        long[] tgt = new long[n * len];
        float[] mask = new float[n * len];
        java.util.Arrays.fill(in, padId);
        java.util.Arrays.fill(tgt, padId);
        for (int b = 0; b < n; b++) {
            TokenizedExample e = examples.get(b);
            for (int t = 0; t + 1 < e.length(); t++) {
                in[b * len + t] = e.id(t);
                tgt[b * len + t] = e.id(t + 1);
                mask[b * len + t] = e.isInLoss(t + 1) ? 1f : 0f;
            }
        }
        return new Batch(in, tgt, mask, n, len);
    }

    /** Examples in the batch: one per row. */
    public int examples() {
        return size;
    }

    /** The example that flat position {@code row·length + t} belongs to. */
    public int exampleAt(int position) {
        return position / length;
    }

    public int answerTokens() {
        int c = 0;
        for (float m : mask) {
            c += m > 0 ? 1 : 0;
        }
        return c;
    }
}
