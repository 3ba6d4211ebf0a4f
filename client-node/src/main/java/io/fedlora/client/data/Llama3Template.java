package io.fedlora.client.data;

import io.fedlora.client.model.ModelFormatException;
import java.util.List;
import java.util.Optional;

/**
 * Llama 3 and later Llama 3.x: {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>}
 * per message (content trimmed), after {@code bos_token}. Llama 3.1/3.2/3.3 templates always open
 * with a system turn holding "Cutting Knowledge Date: ..." and "Today Date: ..." before the system
 * message; the date is the template's fixed default ({@code date_string}, e.g. "26 Jul 2024"),
 * never today's date, so that the same data always gives the same tokens. Trained: each assistant
 * content and its {@code <|eot_id|>}.
 */
final class Llama3Template implements ChatTemplate {

    static final String HEADER_START = "<|start_header_id|>";
    static final String HEADER_END = "<|end_header_id|>";
    static final String EOT = "<|eot_id|>";

    private static final String MESSAGE_FORM =
            "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
                    + " + '<|eot_id|>'";
    private static final String BOS_ON_FIRST_MESSAGE =
            "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}";

    private final String bos;
    /** For Llama 3.1 and later: the system turn's text before the system message; null for Llama 3. */
    private final String datedPreamble;

    private Llama3Template(String bos, String datedPreamble) {
        this.bos = bos;
        this.datedPreamble = datedPreamble;
    }

    static boolean claims(JinjaTemplateText t) {
        return t.literals().stream().anyMatch(s -> s.contains(HEADER_START));
    }

    static Llama3Template recognise(JinjaTemplateText t, TokenizerConfigFile config) throws ModelFormatException {
        boolean bosFirst = t.tagIndex("{{ bos_token }}") == 0 || t.hasTags(BOS_ON_FIRST_MESSAGE);
        if (!t.hasExpression(MESSAGE_FORM) || !bosFirst) {
            throw config.templateError(ChatTemplates.unlike("Llama 3", HEADER_START));
        }
        String bos = config.requireBosToken("the Llama 3 chat template starts with it");
        Optional<String> knowledge = t.literals().stream().filter(s -> s.startsWith("Cutting Knowledge Date:")).findFirst();
        if (knowledge.isEmpty()) {
            return new Llama3Template(bos, null);
        }
        boolean datedSystemTurn = t.hasExpression("'<|start_header_id|>system<|end_header_id|>\\n\\n'")
                && t.hasExpression("'Today Date: ' + date_string + '\\n\\n'")
                && t.hasExpression("system_message = messages[0]['content'] | trim");
        if (!datedSystemTurn) {
            throw config.templateError(ChatTemplates.unlike("Llama 3.1", HEADER_START));
        }
        String date = t.assignedString("date_string").orElseThrow(() -> config.templateError(
                "a Llama 3.1-style template whose date_string has no fixed default; fedlora does not put today's "
                        + "date into training data"));
        return new Llama3Template(bos, knowledge.get() + "Today Date: " + date + "\n\n");
    }

    @Override
    public String family() {
        return datedPreamble == null ? "Llama 3" : "Llama 3.1";
    }

    @Override
    public List<String> specialTokens() {
        return List.of(bos, HEADER_START, HEADER_END, EOT);
    }

    @Override
    public String generationPrompt() {
        return HEADER_START + "assistant" + HEADER_END + "\n\n";
    }

    @Override
    public ChatText render(List<ChatMessage> messages) {
        ChatText.Builder out = new ChatText.Builder().prompt(bos);
        int first = 0;
        if (datedPreamble != null) {
            boolean system = messages.get(0).role() == ChatRole.SYSTEM;
            String text = system ? ChatTemplate.trim(messages.get(0).content()) : "";
            out.prompt(HEADER_START + "system" + HEADER_END + "\n\n" + datedPreamble + text + EOT);
            first = system ? 1 : 0;
        }
        for (ChatMessage m : messages.subList(first, messages.size())) {
            out.prompt(HEADER_START + m.role().wireName() + HEADER_END + "\n\n");
            String turn = ChatTemplate.trim(m.content()) + EOT;
            if (m.role() == ChatRole.ASSISTANT) {
                out.trained(turn);
            } else {
                out.prompt(turn);
            }
        }
        return out.build();
    }
}
