package io.fedlora.client.data;

/**
 * Token ids of prompt then answer (with BOS first when the model uses one, EOS last), possibly
 * truncated. Positions {@code >= promptLength} are answer tokens, the only ones trained on.
 */
public record TokenizedExample(long[] ids, int promptLength, boolean truncated) {

    public TokenizedExample {
        ids = ids.clone();
        if (promptLength < 0 || promptLength > ids.length) {
            throw new IllegalArgumentException("prompt length " + promptLength + " outside 0.." + ids.length);
        }
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    public int length() {
        return ids.length;
    }

    public int answerTokens() {
        return ids.length - promptLength;
    }

    long id(int i) {
        return ids[i];
    }
}
