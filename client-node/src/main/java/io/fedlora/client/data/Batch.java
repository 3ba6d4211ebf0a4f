package io.fedlora.client.data;

import java.util.List;

/**
 * A right-padded batch for next-token training: {@code inputs[b][t]} predicts {@code targets[b][t]}
 * (the following token); {@code mask} is 1 where that target carries loss (an answer, assistant or
 * text token of a real example, see {@link TokenizedExample#inLoss()}).
 * Arrays are row-major [size, length]; length is the longest example minus one.
 *
 * <p>A packed batch ({@link #packed}) holds several examples per row, laid out by {@code segments};
 * otherwise {@code segments} is null and each row is one example.
 */
public record Batch(long[] inputs, long[] targets, float[] mask, int size, int length, Segments segments) {

    /** One example per row. */
    public Batch(long[] inputs, long[] targets, float[] mask, int size, int length) {
        this(inputs, targets, mask, size, length, null);
    }

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

    /**
     * The examples packed first-fit, in order, into rows of one length: of the lengths from the longest
     * example's to {@code maxRowLength} in steps of the longest example's, the one with the fewest
     * positions in all (ties: the shorter rows). Fewer positions than one example per row when examples
     * differ in length or rows may hold several.
     */
    public static Batch packed(List<TokenizedExample> examples, int maxRowLength, int padId) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int longest = 1;
        for (TokenizedExample e : examples) {
            longest = Math.max(longest, e.length() - 1);
        }
        int best = longest;
        long bestPositions = Long.MAX_VALUE;
        for (int len = longest; len <= Math.max(longest, maxRowLength); len += longest) {
            long positions = (long) firstFit(examples, len).rows() * len;
            if (positions < bestPositions) {
                best = len;
                bestPositions = positions;
            }
        }
        return layOut(examples, best, firstFit(examples, best), padId);
    }

    /** Row and offset of each example, first-fit into rows of {@code len}. */
    private record Placement(int[] rowOf, int[] offsetOf, int rows) {}

    private static Placement firstFit(List<TokenizedExample> examples, int len) {
        java.util.List<int[]> rowFill = new java.util.ArrayList<>(); // per row: positions used
        int[] rowOf = new int[examples.size()];
        int[] offsetOf = new int[examples.size()];
        for (int k = 0; k < examples.size(); k++) {
            int need = Math.max(0, examples.get(k).length() - 1);
            int row = 0;
            while (row < rowFill.size() && rowFill.get(row)[0] + need > len) {
                row++;
            }
            if (row == rowFill.size()) {
                rowFill.add(new int[1]);
            }
            rowOf[k] = row;
            offsetOf[k] = rowFill.get(row)[0];
            rowFill.get(row)[0] += need;
        }
        return new Placement(rowOf, offsetOf, rowFill.size());
    }

    private static Batch layOut(List<TokenizedExample> examples, int len, Placement p, int padId) {
        int n = p.rows();
        long[] in = new long[n * len];
        long[] tgt = new long[n * len];
        float[] mask = new float[n * len];
        int[] exampleOf = new int[n * len];
        int[] positions = new int[n * len];
        java.util.Arrays.fill(in, padId);
        java.util.Arrays.fill(tgt, padId);
        java.util.Arrays.fill(exampleOf, Segments.PADDING);
        for (int k = 0; k < examples.size(); k++) {
            TokenizedExample e = examples.get(k);
            int base = p.rowOf()[k] * len + p.offsetOf()[k];
            for (int t = 0; t + 1 < e.length(); t++) {
                in[base + t] = e.id(t);
                tgt[base + t] = e.id(t + 1);
                mask[base + t] = e.isInLoss(t + 1) ? 1f : 0f;
                exampleOf[base + t] = k;
                positions[base + t] = t;
            }
        }
        return new Batch(in, tgt, mask, n, len, new Segments(exampleOf, positions, examples.size()));
    }

    public boolean isPacked() {
        return segments != null;
    }

    /** Examples in the batch: one per row, or as packed. */
    public int examples() {
        return segments == null ? size : segments.examples();
    }

    /** The example that flat position {@code row·length + t} belongs to ({@link Segments#PADDING} if none). */
    public int exampleAt(int position) {
        return segments == null ? position / length : segments.exampleOf()[position];
    }

    public int answerTokens() {
        int c = 0;
        for (float m : mask) {
            c += m > 0 ? 1 : 0;
        }
        return c;
    }
}
