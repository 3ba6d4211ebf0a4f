package io.fedlora.client.data;

import io.fedlora.client.model.ModelFormatException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ChatML (Qwen2, Qwen2.5, SmolLM2 and many fine-tunes): {@code <|im_start|>role\ncontent<|im_end|>\n}
 * per message. When the conversation has no system message the template's own default one comes
 * first, as Qwen2.5's and SmolLM2's templates write it. Trained: each assistant content and its
 * {@code <|im_end|>}.
 */
final class ChatMlTemplate implements ChatTemplate {

    static final String START = "<|im_start|>";
    static final String END = "<|im_end|>";

    /** The per-message output of the templates this class reproduces (Jinja source). */
    private static final List<String> MESSAGE_FORMS = List.of(
            "'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'",
            "'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n'");
    private static final Pattern DEFAULT_SYSTEM =
            Pattern.compile("<\\|im_start\\|>system\\n(.+)<\\|im_end\\|>\\n", Pattern.DOTALL);

    private final String bos;
    private final String defaultSystem;

    private ChatMlTemplate(String bos, String defaultSystem) {
        this.bos = bos;
        this.defaultSystem = defaultSystem;
    }

    static boolean claims(JinjaTemplateText t) {
        return t.literals().stream().anyMatch(s -> s.contains(START));
    }

    static ChatMlTemplate recognise(JinjaTemplateText t, TokenizerConfigFile config) throws ModelFormatException {
        if (t.literals().stream().anyMatch(s -> s.contains("<think>"))) {
            throw config.templateError("a ChatML template with reasoning (<think>) sections, e.g. Qwen3's; fedlora "
                    + "does not reproduce those (supported: " + ChatTemplates.SUPPORTED + ")");
        }
        if (MESSAGE_FORMS.stream().noneMatch(t::hasExpression)) {
            throw config.templateError(ChatTemplates.unlike("ChatML", START));
        }
        // A default system message is a whole literal turn; a turn built from messages[0] is not.
        Set<String> defaults = new LinkedHashSet<>();
        for (String literal : t.literals()) {
            Matcher m = DEFAULT_SYSTEM.matcher(literal);
            if (m.matches() && !m.group(1).contains(START)) {
                defaults.add(m.group(1));
            }
        }
        if (defaults.size() > 1) {
            throw config.templateError("a ChatML template with " + defaults.size()
                    + " different default system messages; fedlora cannot tell which applies");
        }
        String bos = null;
        if (t.nameCount("bos_token") > 0) {
            if (t.nameCount("bos_token") != 1 || t.tagIndex("{{ bos_token }}") != 0) {
                throw config.templateError(ChatTemplates.unlike("ChatML", START) + "; it writes bos_token other than "
                        + "once at the start");
            }
            bos = config.requireBosToken("the ChatML chat template starts with it");
        }
        return new ChatMlTemplate(bos, defaults.isEmpty() ? null : defaults.iterator().next());
    }

    @Override
    public String family() {
        return "ChatML";
    }

    @Override
    public List<String> specialTokens() {
        List<String> out = new ArrayList<>(List.of(START, END));
        if (bos != null) {
            out.add(bos);
        }
        return out;
    }

    @Override
    public String generationPrompt() {
        return START + "assistant\n";
    }

    @Override
    public ChatText render(List<ChatMessage> messages) {
        ChatText.Builder out = new ChatText.Builder();
        if (bos != null) {
            out.prompt(bos);
        }
        if (messages.get(0).role() != ChatRole.SYSTEM && defaultSystem != null) {
            out.prompt(START + "system\n" + defaultSystem + END + "\n");
        }
        for (ChatMessage m : messages) {
            out.prompt(START + m.role().wireName() + "\n");
            if (m.role() == ChatRole.ASSISTANT) {
                out.trained(m.content() + END).prompt("\n");
            } else {
                out.prompt(m.content() + END + "\n");
            }
        }
        return out.build();
    }
}
