package io.fedlora.client.data;

import io.fedlora.client.model.ModelFormatException;

/**
 * Recognises a model's chat template (from tokenizer_config.json or chat_template.jinja) as one of
 * the families fedlora reproduces; anything else fails naming the file and field.
 */
final class ChatTemplates {

    static final String SUPPORTED = "ChatML (Qwen2/2.5, SmolLM2), Llama 3/3.1/3.2/3.3, [INST] (Llama 2, Mistral, "
            + "Mixtral); see docs/training-data.md";

    private ChatTemplates() {}

    static ChatTemplate recognise(TokenizerConfigFile config) throws ModelFormatException {
        String source = config.requireChatTemplate();
        JinjaTemplateText t;
        try {
            t = JinjaTemplateText.parse(source);
        } catch (IllegalArgumentException e) {
            throw config.templateError("not a readable Jinja template: " + e.getMessage());
        }
        if (ChatMlTemplate.claims(t)) {
            return ChatMlTemplate.recognise(t, config);
        }
        if (Llama3Template.claims(t)) {
            return Llama3Template.recognise(t, config);
        }
        if (InstTemplate.claims(t)) {
            return InstTemplate.recognise(t, config);
        }
        throw config.templateError("not a chat template family fedlora recognises (supported: " + SUPPORTED + ")");
    }

    /** The error for a template that uses a family's markers but not in a form fedlora reproduces. */
    static String unlike(String family, String marker) {
        return "uses " + marker + " like the " + family + " family, but not in a form fedlora reproduces (supported: "
                + SUPPORTED + ")";
    }
}
