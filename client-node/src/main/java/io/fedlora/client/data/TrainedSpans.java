package io.fedlora.client.data;

import io.fedlora.client.data.jinja.HuggingFaceJinja;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the assistant's text is in a rendered conversation, the part training puts loss on.
 *
 * <ul>
 *   <li>A template with {@code {% generation %}} blocks says so itself: the blocks' text.
 *   <li>Otherwise each assistant message trains on what it adds to the conversation: from where
 *       the conversation before it, rendered with the generation prompt, stops agreeing with the
 *       whole conversation, through its content and the text the template writes right after
 *       it when it is the last message (its end-of-turn token), trailing whitespace left out (it
 *       separates turns). Where the content ends is found by rendering it once more with a
 *       noncharacter appended, so templates that trim or rewrite content (Qwen3 drops earlier
 *       turns' reasoning) are followed rather than assumed.
 * </ul>
 */
final class TrainedSpans {

    /** Unicode noncharacters are never text; fedlora uses these three to find positions in a rendering. */
    private static final char PROBE = '\uFDD2';

    private TrainedSpans() {}

    static ChatText fromGenerationBlocks(ChatTemplate t, List<ChatMessage> messages) throws ChatTemplateException {
        refuseReservedCharacters(messages);
        String marked = t.render(messages, false, true);
        ChatText.Builder b = new ChatText.Builder();
        int at = 0;
        while (at < marked.length()) {
            int open = marked.indexOf(HuggingFaceJinja.GENERATION_OPEN, at);
            if (open < 0) {
                b.prompt(marked.substring(at));
                break;
            }
            int close = marked.indexOf(HuggingFaceJinja.GENERATION_CLOSE, open);
            int nested = marked.indexOf(HuggingFaceJinja.GENERATION_OPEN, open + 1);
            if (nested >= 0 && nested < close) {
                throw t.error(0, "nests {% generation %} blocks");
            }
            b.prompt(marked.substring(at, open)).trained(marked.substring(open + 1, close));
            at = close + 1;
        }
        ChatText text = b.build();
        requireContentsWritten(t, messages, text.text());
        return text;
    }

    static ChatText fromPrefixes(ChatTemplate t, List<ChatMessage> messages) throws ChatTemplateException {
        refuseReservedCharacters(messages);
        String whole = t.render(messages, false, false);
        requireContentsWritten(t, messages, whole);
        ChatText.Builder b = new ChatText.Builder();
        int done = 0;
        for (int k = 0; k < messages.size(); k++) {
            if (messages.get(k).role() != ChatRole.ASSISTANT) {
                continue;
            }
            int start = agreeing(t.render(messages.subList(0, k), true, false), whole);
            List<ChatMessage> upToIt = messages.subList(0, k + 1);
            String own = t.render(upToIt, false, false);
            String endOfTurn = stripTrailingWhitespace(own.substring(agreeing(own,
                    t.render(probed(upToIt, k), false, false))));
            String wholeProbed = t.render(probed(messages, k), false, false);
            if (wholeProbed.indexOf(PROBE) < 0) {
                throw t.error(k, "leaves this assistant message's content out of the conversation");
            }
            int contentEnd = agreeing(whole, wholeProbed);
            if (!whole.startsWith(endOfTurn, contentEnd)) {
                throw t.error(k, "ends this assistant message differently once later messages follow it, so the "
                        + "trained text is ambiguous; a template can mark it with {% generation %} blocks");
            }
            if (start < done || start > contentEnd) {
                throw t.error(k, "does not write this assistant message where the generation prompt before it ends");
            }
            int end = contentEnd + endOfTurn.length();
            b.prompt(whole.substring(done, start)).trained(whole.substring(start, end));
            done = end;
        }
        return b.prompt(whole.substring(done)).build();
    }

    /** Length of the common prefix. */
    private static int agreeing(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        // Never split a surrogate pair: positions are counted in code points later.
        return i > 0 && i < a.length() && Character.isLowSurrogate(a.charAt(i)) ? i - 1 : i;
    }

    private static List<ChatMessage> probed(List<ChatMessage> messages, int k) {
        List<ChatMessage> out = new ArrayList<>(messages);
        ChatMessage m = out.get(k);
        out.set(k, new ChatMessage(m.role(), m.content() + PROBE));
        return out;
    }

    private static String stripTrailingWhitespace(String s) {
        int end = s.length();
        while (end > 0 && Character.isWhitespace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /**
     * A template that silently drops a message (one that takes no system message, say) would train
     * the model on a conversation the data does not hold.
     */
    private static void requireContentsWritten(ChatTemplate t, List<ChatMessage> messages, String text)
            throws ChatTemplateException {
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            String content = m.content().strip();
            if (m.role() != ChatRole.ASSISTANT && !content.isEmpty() && !text.contains(content)) {
                throw t.error(i, "leaves this " + m.role().wireName() + " message's content out of the conversation");
            }
        }
    }

    private static void refuseReservedCharacters(List<ChatMessage> messages) throws ChatTemplateException {
        for (int i = 0; i < messages.size(); i++) {
            String c = messages.get(i).content();
            for (char reserved : new char[] {HuggingFaceJinja.GENERATION_OPEN, HuggingFaceJinja.GENERATION_CLOSE, PROBE}) {
                if (c.indexOf(reserved) >= 0) {
                    throw new ChatTemplateException("messages[" + i + "].content", String.format("contains U+%04X, a "
                            + "Unicode noncharacter that fedlora reserves to find the trained text", (int) reserved));
                }
            }
        }
    }
}
