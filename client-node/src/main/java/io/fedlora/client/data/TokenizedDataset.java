package io.fedlora.client.data;

import java.util.List;

/** Tokenized examples, how many of them were truncated to max_seq_len, and the padding id. */
public record TokenizedDataset(List<TokenizedExample> examples, int truncatedCount, int padId) {

    public TokenizedDataset {
        examples = List.copyOf(examples);
    }

    public int size() {
        return examples.size();
    }

    public Batch batch(int[] indices) {
        return Batch.of(chosen(indices), padId);
    }

    /** The examples at {@code indices} packed into rows of at most {@code maxRowLength} positions ({@link Batch#packed}). */
    public Batch packedBatch(int[] indices, int maxRowLength) {
        return Batch.packed(chosen(indices), maxRowLength, padId);
    }

    private List<TokenizedExample> chosen(int[] indices) {
        TokenizedExample[] chosen = new TokenizedExample[indices.length];
        for (int i = 0; i < indices.length; i++) {
            chosen[i] = examples.get(indices[i]);
        }
        return List.of(chosen);
    }
}
