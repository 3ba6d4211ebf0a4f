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
 *       it when it is the last message (its end-of-turn token), as far as the whole conversation
 *       has it too, trailing whitespace left out (it separates turns). Where each content ends is
 *       found by rendering the conversation once more with a noncharacter appended to each
 *       assistant content, so templates that trim or rewrite content (Qwen3 drops earlier turns'
 *       reasoning) are followed rather than assumed. Renders: 2, plus 2 per assistant message
 *       (1 for a final one).
 * </ul>
 */
final class TrainedSpans {

    /** Unicode noncharacters are never text; fedlora uses these three to find positions in a rendering. */
    private static final char PROBE = '\uFDD2';

    private static final char[] RESERVED = {HuggingFaceJinja.GENERATION_OPEN, HuggingFaceJinja.GENERATION_CLOSE, PROBE};

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
        t.requireWritten(messages, text.text());
        return text;
    }

    static ChatText fromPrefixes(ChatTemplate t, List<ChatMessage> messages) throws ChatTemplateException {
        refuseReservedCharacters(messages);
        String whole = t.render(messages, false, false);
        t.requireWritten(messages, whole);
        List<Integer> assistants = new ArrayList<>();
        for (int k = 0; k < messages.size(); k++) {
            if (messages.get(k).role() == ChatRole.ASSISTANT) {
                assistants.add(k);
            }
        }
        String probed = t.render(probed(messages, assistants), false, false);
        int[] contentEnds = probePositions(t, probed, whole, assistants);
        ChatText.Builder b = new ChatText.Builder();
        int done = 0;
        for (int j = 0; j < assistants.size(); j++) {
            int k = assistants.get(j);
            int start = agreeing(t.render(messages.subList(0, k), true, false), whole);
            // What the template writes after the content when this message ends the conversation.
            String alone = k == messages.size() - 1 ? probed
                    : t.render(probed(messages.subList(0, k + 1), List.of(k)), false, false);
            String endOfTurn = endOfTurn(alone.substring(alone.lastIndexOf(PROBE) + 1), whole, contentEnds[j]);
            if (endOfTurn == null) {
                throw t.error(k, "ends this assistant message differently once later messages follow it, so the "
                        + "trained text is ambiguous; a template can mark it with {% generation %} blocks");
            }
            if (start < done || start > contentEnds[j]) {
                throw t.error(k, "does not write this assistant message where the generation prompt before it ends");
            }
            int end = contentEnds[j] + endOfTurn.length();
            b.prompt(whole.substring(done, start)).trained(whole.substring(start, end));
            done = end;
        }
        return b.prompt(whole.substring(done)).build();
    }

    /**
     * Where each assistant content ends in {@code whole}, from the probes in {@code probed}. The two
     * renderings must agree but for the probes and the whitespace before a probe that a trimming
     * template would have removed.
     */
    private static int[] probePositions(ChatTemplate t, String probed, String whole, List<Integer> assistants)
            throws ChatTemplateException {
        int[] ends = new int[assistants.size()];
        int w = 0;
        int q = 0;
        for (int j = 0; j < ends.length; j++) {
            while (w < whole.length() && q < probed.length() && whole.charAt(w) == probed.charAt(q)) {
                w++;
                q++;
            }
            int probe = probed.indexOf(PROBE, q);
            if (probe < 0) {
                throw t.error(assistants.get(j), "leaves this assistant message's content out of the conversation");
            }
            if (!probed.substring(q, probe).isBlank()) {
                throw unstable(t, assistants.get(j));
            }
            ends[j] = w;
            q = probe + 1;
        }
        if (!whole.substring(w).equals(probed.substring(q))) {
            throw unstable(t, assistants.get(ends.length - 1));
        }
        return ends;
    }

    private static ChatTemplateException unstable(ChatTemplate t, int message) {
        return t.error(message, "writes the conversation differently when this assistant message's content changes by "
                + "one character, so the trained text cannot be found; a template can mark it with "
                + "{% generation %} blocks");
    }

    /**
     * The longest part of {@code tail}, cut where whitespace begins, that {@code whole} continues
     * with at {@code at}, trailing whitespace left out: the end-of-turn token(s). Null when none
     * of a non-blank tail is there. (Phi-3 writes its EOS after the last turn only.)
     */
    private static String endOfTurn(String tail, String whole, int at) {
        int best = 0;
        for (int cut = 1; cut <= tail.length(); cut++) {
            boolean boundary = cut == tail.length()
                    || Character.isWhitespace(tail.charAt(cut)) && !Character.isWhitespace(tail.charAt(cut - 1));
            if (boundary && whole.startsWith(tail.substring(0, cut), at)) {
                best = cut;
            }
        }
        String part = stripTrailingWhitespace(tail.substring(0, best));
        return part.isEmpty() && !tail.isBlank() ? null : part;
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

    /** {@code messages} with the probe appended to the content of each message at {@code at}. */
    private static List<ChatMessage> probed(List<ChatMessage> messages, List<Integer> at) {
        List<ChatMessage> out = new ArrayList<>(messages);
        for (int k : at) {
            ChatMessage m = out.get(k);
            out.set(k, new ChatMessage(m.role(), m.content() + PROBE));
        }
        return out;
    }

    private static String stripTrailingWhitespace(String s) {
        int end = s.length();
        while (end > 0 && Character.isWhitespace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    private static void refuseReservedCharacters(List<ChatMessage> messages) throws ChatTemplateException {
        for (int i = 0; i < messages.size(); i++) {
            String c = messages.get(i).content();
            for (char reserved : RESERVED) {
                if (c.indexOf(reserved) >= 0) {
                    throw new ChatTemplateException("messages[" + i + "].content", String.format("contains U+%04X, a "
                            + "Unicode noncharacter that fedlora reserves to find the trained text", (int) reserved));
                }
            }
        }
    }
}
