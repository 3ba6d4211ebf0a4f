package io.fedlora.client.data;

import io.fedlora.client.data.jinja.HuggingFaceJinja;
import io.fedlora.client.data.jinja.TemplateFailure;
import io.fedlora.client.model.ModelFormatException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's own chat template (the Jinja source of {@code tokenizer_config.json} or
 * {@code chat_template.jinja}), run by {@link HuggingFaceJinja} with the variables transformers'
 * {@code apply_chat_template} gives it: {@code messages}, {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token}. Every refusal names the template file and the message.
 */
final class ChatTemplate {

    private final HuggingFaceJinja engine;
    private final String source;
    private final HuggingFaceJinja.Template parsed;
    private final String file;
    private final TokenizerConfigFile config;
    private final boolean generationBlocks;

    private ChatTemplate(HuggingFaceJinja engine, String source, HuggingFaceJinja.Template parsed,
            TokenizerConfigFile config) {
        this.engine = engine;
        this.source = source;
        this.parsed = parsed;
        this.config = config;
        this.file = config.chatTemplateFile().getFileName().toString();
        this.generationBlocks = HuggingFaceJinja.hasGenerationBlocks(source);
    }

    /**
     * The model's template, tried once on a two-turn conversation so that what the engine cannot
     * run (a syntax error, an unknown tag or function) fails here, naming the file and line.
     */
    static ChatTemplate load(TokenizerConfigFile config, InstantSource clock) throws ModelFormatException {
        HuggingFaceJinja engine = new HuggingFaceJinja(clock);
        String source = config.requireChatTemplate();
        try {
            ChatTemplate t = new ChatTemplate(engine, source, engine.parse(source), config);
            try {
                engine.render(t.parsed, t.variables(List.of(ChatMessage.user("hi"), ChatMessage.assistant("hello")),
                        false), false);
            } catch (TemplateFailure e) {
                if (!e.raisedByTemplate()) {
                    throw e;
                }
            }
            return t;
        } catch (TemplateFailure e) {
            throw config.templateError((e.line() > 0 ? "line " + e.line() + ": " : "")
                    + "not something fedlora's Jinja engine can render: " + e.getMessage());
        }
    }

    /** Where the template came from, for messages: {@code tokenizer_config.json} or {@code chat_template.jinja}. */
    String file() {
        return file;
    }

    String bosToken() {
        return config.bosToken();
    }

    String eosToken() {
        return config.eosToken();
    }

    boolean usesVariable(String name) {
        return source.contains(name);
    }

    boolean hasGenerationBlocks() {
        return generationBlocks;
    }

    /** A conversation ending with a user turn, with the opening of the assistant's reply. */
    String prompt(List<ChatMessage> messages) throws ChatTemplateException {
        String text = render(messages, true, false);
        requireWritten(messages, text);
        return text;
    }

    /**
     * A template that silently drops a message (one with no place for a system message, say)
     * would train or prompt the model with a conversation the data does not hold.
     */
    void requireWritten(List<ChatMessage> messages, String text) throws ChatTemplateException {
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            String content = m.content().strip();
            if (m.role() != ChatRole.ASSISTANT && !content.isEmpty() && !text.contains(content)) {
                throw error(i, "leaves this " + m.role().wireName() + " message's content out of the conversation");
            }
        }
    }

    /** The conversation as training sees it: its text and the assistant's parts in it. */
    ChatText conversation(List<ChatMessage> messages) throws ChatTemplateException {
        return hasGenerationBlocks() ? TrainedSpans.fromGenerationBlocks(this, messages)
                : TrainedSpans.fromPrefixes(this, messages);
    }

    /**
     * Renders {@code messages}; a failure is traced to the first message whose prefix of the
     * conversation fails, so that the error names it.
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt, boolean markGeneration)
            throws ChatTemplateException {
        try {
            return engine.render(parsed, variables(messages, addGenerationPrompt), markGeneration);
        } catch (TemplateFailure whole) {
            int culprit = messages.size() - 1;
            for (int n = 1; n < messages.size(); n++) {
                try {
                    engine.render(parsed, variables(messages.subList(0, n), false), false);
                } catch (TemplateFailure prefix) {
                    culprit = n - 1;
                    whole = prefix;
                    break;
                }
            }
            throw failure(culprit, whole);
        }
    }

    private ChatTemplateException failure(int message, TemplateFailure e) {
        String at = "messages[" + Math.max(0, message) + "]";
        if (e.raisedByTemplate()) {
            return new ChatTemplateException(at, "this model's chat template (" + file + ") refuses the conversation: "
                    + e.getMessage());
        }
        return new ChatTemplateException(at, "this model's chat template (" + file
                + (e.line() > 0 ? ", line " + e.line() : "") + ") cannot be rendered by fedlora's Jinja engine: "
                + e.getMessage());
    }

    ChatTemplateException error(int message, String problem) {
        return new ChatTemplateException("messages[" + message + "]", "this model's chat template (" + file + ") "
                + problem);
    }

    private Map<String, Object> variables(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role().wireName());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> v = new HashMap<>();
        v.put("messages", list);
        v.put("add_generation_prompt", addGenerationPrompt);
        if (config.bosToken() != null) {
            v.put("bos_token", config.bosToken());
        }
        if (config.eosToken() != null) {
            v.put("eos_token", config.eosToken());
        }
        return v;
    }
}
