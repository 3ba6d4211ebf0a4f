package io.fedlora.client.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation as its chat template writes it, with the parts trained on marked (each
 * assistant turn's content through its end-of-turn token). Positions are counted in Unicode code
 * points, as the tokenizers library reports token offsets.
 */
final class ChatText {

    private final String text;
    private final List<int[]> trained;
    private final List<String> trainedParts;

    private ChatText(String text, List<int[]> trained, List<String> trainedParts) {
        this.text = text;
        this.trained = List.copyOf(trained);
        this.trainedParts = List.copyOf(trainedParts);
    }

    String text() {
        return text;
    }

    /** The trained parts, in order (for tests and diagnostics). */
    List<String> trainedParts() {
        return trainedParts;
    }

    /**
     * Whether a token covering code points [start, end) is trained: it overlaps a trained part. A
     * token that straddles a boundary is one the model must produce to produce the answer.
     */
    boolean isTrained(int start, int end) {
        for (int[] r : trained) {
            boolean overlaps = start < end ? start < r[1] && end > r[0] : start >= r[0] && start < r[1];
            if (overlaps) {
                return true;
            }
        }
        return false;
    }

    static final class Builder {
        private final StringBuilder text = new StringBuilder();
        private final List<int[]> trained = new ArrayList<>();
        private final List<String> trainedParts = new ArrayList<>();
        private int codePoints;

        /** Text that conditions the answer but is not trained on. */
        Builder prompt(String s) {
            text.append(s);
            codePoints += s.codePointCount(0, s.length());
            return this;
        }

        /** Text the model learns to produce. */
        Builder trained(String s) {
            int start = codePoints;
            prompt(s);
            trained.add(new int[] {start, codePoints});
            trainedParts.add(s);
            return this;
        }

        ChatText build() {
            return new ChatText(text.toString(), trained, trainedParts);
        }
    }
}
