package io.fedlora.client.data;

import java.util.Arrays;

/**
 * Token ids of one example and which positions carry loss (are predicted and trained on): the
 * answer and EOS of an instruction record, the assistant turns of a chat, every token of a text.
 * Possibly truncated to max_seq_len (flagged, never dropped).
 */
public record TokenizedExample(long[] ids, boolean[] inLoss, boolean truncated) {

    public TokenizedExample {
        ids = ids.clone();
        inLoss = inLoss.clone();
        if (inLoss.length != ids.length) {
            throw new IllegalArgumentException(ids.length + " ids but a loss mask of " + inLoss.length);
        }
    }

    /** Prompt then answer: the positions from {@code promptLength} on carry loss. */
    public TokenizedExample(long[] ids, int promptLength, boolean truncated) {
        this(ids, answerFrom(ids.length, promptLength), truncated);
    }

    private static boolean[] answerFrom(int length, int promptLength) {
        if (promptLength < 0 || promptLength > length) {
            throw new IllegalArgumentException("prompt length " + promptLength + " outside 0.." + length);
        }
        boolean[] mask = new boolean[length];
        Arrays.fill(mask, promptLength, length, true);
        return mask;
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    @Override
    public boolean[] inLoss() {
        return inLoss.clone();
    }

    public int length() {
        return ids.length;
    }

    /** Positions before the first one in loss: the whole prompt of an instruction record. */
    public int promptLength() {
        int i = 0;
        while (i < inLoss.length && !inLoss[i]) {
            i++;
        }
        return i;
    }

    /** Trained targets: positions in loss except the first token, which nothing predicts. */
    public int answerTokens() {
        int n = 0;
        for (int i = 1; i < inLoss.length; i++) {
            n += inLoss[i] ? 1 : 0;
        }
        return n;
    }

    /** The first {@code maxSeqLen} tokens, flagged as truncated; this example when it fits. */
    TokenizedExample truncatedTo(int maxSeqLen) {
        if (ids.length <= maxSeqLen) {
            return this;
        }
        return new TokenizedExample(Arrays.copyOf(ids, maxSeqLen), Arrays.copyOf(inLoss, maxSeqLen), true);
    }

    long id(int i) {
        return ids[i];
    }

    boolean isInLoss(int i) {
        return inLoss[i];
    }
}
