package io.fedlora.client.data;

import io.fedlora.client.model.ModelFormatException;
import java.util.List;

/**
 * The {@code [INST] ... [/INST]} family: Llama 2 chat and Mistral/Mixtral instruct. User and
 * assistant turns must alternate, starting with a user turn (the templates raise otherwise).
 * Trained: each assistant turn as the template writes it after {@code [/INST]}, through
 * {@code eos_token}. The variants differ in spacing, in trimming and in where a system message
 * goes; each is read off the template:
 * <ul>
 *   <li>Llama 2: {@code <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] assistant </s>}, BOS
 *       before every user turn, contents stripped.
 *   <li>Mistral: BOS once; {@code [INST] user [/INST]} (or {@code  [INST] ... [/INST]},
 *       {@code [INST] ...[/INST]}); the assistant turn as the template joins it with eos; a system
 *       message goes before the first or the last user message with a blank line, or is refused
 *       where the template has no place for it.
 * </ul>
 */
final class InstTemplate implements ChatTemplate {

    /** Where a Mistral template puts the system message. */
    enum SystemPlacement { NONE, FIRST_USER, LAST_USER, LLAMA2_SYS_BLOCK }

    /** One way of writing the turns; {@code afterEos} is text after eos that is not trained. */
    record Style(String name, boolean bosEveryUserTurn, String userOpen, String userClose, boolean trimUser,
            String assistantOpen, boolean trimAssistant, String beforeEos, String afterEos, SystemPlacement system) {}

    private static final String[][] USER_FORMS = {{"[INST] ", " [/INST]"}, {" [INST] ", " [/INST]"},
        {"[INST] ", "[/INST]"}};

    private final Style style;
    private final String bos;
    private final String eos;

    InstTemplate(Style style, String bos, String eos) {
        this.style = style;
        this.bos = bos;
        this.eos = eos;
    }

    static boolean claims(JinjaTemplateText t) {
        return t.literals().stream().anyMatch(s -> s.contains("[INST]"));
    }

    static InstTemplate recognise(JinjaTemplateText t, TokenizerConfigFile config) throws ModelFormatException {
        Style style = t.literals().stream().anyMatch(s -> s.contains("<<SYS>>")) ? llama2(t, config) : mistral(t, config);
        return new InstTemplate(style, config.requireBosToken("the [INST] chat template starts with it"),
                config.requireEosToken("the [INST] chat template ends each assistant turn with it"));
    }

    private static Style llama2(JinjaTemplateText t, TokenizerConfigFile config) throws ModelFormatException {
        boolean matches = t.hasExpression("bos_token + '[INST] ' + content.strip() + ' [/INST]'")
                && t.hasExpression("' ' + content.strip() + ' ' + eos_token")
                && t.hasExpression("'<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content']");
        if (!matches) {
            throw config.templateError(ChatTemplates.unlike("Llama 2", "[INST] and <<SYS>>"));
        }
        return new Style("Llama 2", true, "[INST] ", " [/INST]", true, " ", true, " ", "",
                SystemPlacement.LLAMA2_SYS_BLOCK);
    }

    private static Style mistral(JinjaTemplateText t, TokenizerConfigFile config) throws ModelFormatException {
        String[] user = null;
        for (String[] form : USER_FORMS) {
            if (t.hasExpression(quote(form[0]) + " + message['content'] + " + quote(form[1]))) {
                if (user != null) {
                    throw config.templateError(ChatTemplates.unlike("Mistral", "[INST]") + "; it writes user turns in "
                            + "more than one way");
                }
                user = form;
            }
        }
        // The assistant turn, most specific first: the whole output tag must match.
        String assistantOpen;
        boolean trim = false;
        String afterEos = "";
        if (t.hasTags("{{ ' ' + message['content'] | trim + eos_token }}")) {
            assistantOpen = " ";
            trim = true;
        } else if (t.hasTags("{{ ' ' + message['content'] + eos_token }}")) {
            assistantOpen = " ";
        } else if (t.hasTags("{{ message['content'] + eos_token + ' ' }}")) {
            assistantOpen = "";
            afterEos = " ";
        } else if (t.hasTags("{{ message['content'] + eos_token }}")) {
            assistantOpen = "";
        } else {
            assistantOpen = null;
        }
        int bosAt = t.tagIndex("{{ bos_token }}");
        boolean bosOnce = t.nameCount("bos_token") == 1 && bosAt >= 0 && t.loopDepthAt(bosAt) == 0;
        if (user == null || assistantOpen == null || !bosOnce) {
            throw config.templateError(ChatTemplates.unlike("Mistral", "[INST]"));
        }
        SystemPlacement system = SystemPlacement.NONE;
        if (t.hasExpression(quote(user[0]) + " + system_message + '\\n\\n' + message['content'] + " + quote(user[1]))) {
            system = t.hasExpression("loop.first and system_message is defined") ? SystemPlacement.FIRST_USER
                    : SystemPlacement.LAST_USER;
        }
        return new Style("Mistral", false, user[0], user[1], false, assistantOpen, trim, "", afterEos, system);
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }

    @Override
    public String family() {
        return style.name() + " [INST]";
    }

    @Override
    public List<String> specialTokens() {
        return List.of(bos, eos);
    }

    Style style() {
        return style;
    }

    /** Nothing: the prompt ends with the user turn's {@code [/INST]}; the model writes the rest. */
    @Override
    public String generationPrompt() {
        return "";
    }

    @Override
    public ChatText render(List<ChatMessage> messages) throws ChatTemplateException {
        boolean hasSystem = messages.get(0).role() == ChatRole.SYSTEM;
        if (hasSystem && style.system() == SystemPlacement.NONE) {
            throw new ChatTemplateException("messages[0].role", "this model's " + family()
                    + " chat template (tokenizer_config.json) takes no system message");
        }
        int first = hasSystem ? 1 : 0;
        int lastUser = -1;
        for (int i = first; i < messages.size(); i++) {
            ChatRole expected = (i - first) % 2 == 0 ? ChatRole.USER : ChatRole.ASSISTANT;
            if (messages.get(i).role() != expected) {
                throw new ChatTemplateException("messages[" + i + "].role", "this model's " + family()
                        + " chat template (tokenizer_config.json) needs user and assistant turns to alternate, "
                        + "starting with user; expected " + expected.wireName());
            }
            lastUser = expected == ChatRole.USER ? i : lastUser;
        }
        ChatText.Builder out = new ChatText.Builder();
        if (!style.bosEveryUserTurn()) {
            out.prompt(bos);
        }
        for (int i = first; i < messages.size(); i++) {
            String content = messages.get(i).content();
            if (messages.get(i).role() == ChatRole.ASSISTANT) {
                out.trained(style.assistantOpen() + (style.trimAssistant() ? ChatTemplate.trim(content) : content)
                        + style.beforeEos() + eos);
                out.prompt(style.afterEos());
                continue;
            }
            if (hasSystem) {
                content = withSystem(messages.get(0).content(), content, i == first, i == lastUser);
            }
            if (style.trimUser()) {
                content = ChatTemplate.trim(content);
            }
            out.prompt((style.bosEveryUserTurn() ? bos : "") + style.userOpen() + content + style.userClose());
        }
        return out.build();
    }

    private String withSystem(String system, String user, boolean firstUser, boolean lastUser) {
        return switch (style.system()) {
            case LLAMA2_SYS_BLOCK -> firstUser ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + user : user;
            case FIRST_USER -> firstUser ? system + "\n\n" + user : user;
            case LAST_USER -> lastUser ? system + "\n\n" + user : user;
            case NONE -> user;
        };
    }
}
