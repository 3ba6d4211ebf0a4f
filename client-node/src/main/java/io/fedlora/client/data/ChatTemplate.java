package io.fedlora.client.data;

import java.util.List;

/**
 * A chat template family fedlora reproduces in Java (the Jinja source itself is only recognised,
 * never executed). Rendering follows the family's published template exactly; see
 * docs/training-data.md for the families and the few documented deviations.
 */
interface ChatTemplate {

    /** How messages name the family, e.g. {@code ChatML}. */
    String family();

    /** The strings the rendering relies on being single tokens of {@code tokenizer.json}. */
    List<String> specialTokens();

    ChatText render(List<ChatMessage> messages) throws ChatTemplateException;

    /**
     * What {@code add_generation_prompt=True} appends after a conversation ending with a user turn:
     * the opening of the assistant turn the model is to write.
     */
    String generationPrompt();

    /** Jinja's {@code trim} filter and Python's {@code str.strip()}: Unicode whitespace at both ends. */
    static String trim(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isPythonSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isPythonSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
