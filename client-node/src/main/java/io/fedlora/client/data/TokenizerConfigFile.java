package io.fedlora.client.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.client.model.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What chat-form data needs from a model directory's {@code tokenizer_config.json}: the
 * {@code chat_template} (or, as newer checkpoints store it, a {@code chat_template.jinja} file
 * beside it) and the {@code bos_token}/{@code eos_token} strings the template writes. Both files
 * are optional until chat data needs them; every error names the file and the field.
 */
final class TokenizerConfigFile {

    static final String NAME = "tokenizer_config.json";
    static final String JINJA_NAME = "chat_template.jinja";

    private final Path file;
    private final boolean present;
    private final String chatTemplate;
    private final Path templateFile;
    private final String bosToken;
    private final String eosToken;

    private TokenizerConfigFile(Path file, boolean present, String chatTemplate, Path templateFile, String bosToken,
            String eosToken) {
        this.file = file;
        this.present = present;
        this.chatTemplate = chatTemplate;
        this.templateFile = templateFile;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    static TokenizerConfigFile read(Path modelDir) throws IOException {
        Path file = modelDir.resolve(NAME);
        Path jinja = modelDir.resolve(JINJA_NAME);
        JsonNode root = null;
        if (Files.isRegularFile(file)) {
            try {
                root = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new ModelFormatException(file, "not valid JSON (line " + e.getLocation().getLineNr() + ")");
            }
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(file, "not a JSON object");
            }
        }
        String template = root == null ? null : chatTemplate(file, root.get("chat_template"));
        Path templateFile = file;
        if (template == null && Files.isRegularFile(jinja)) {
            template = Files.readString(jinja, StandardCharsets.UTF_8);
            templateFile = jinja;
        }
        return new TokenizerConfigFile(file, root != null, template, templateFile,
                root == null ? null : token(file, root, "bos_token"), root == null ? null : token(file, root, "eos_token"));
    }

    /** A string, or a list of named templates of which "default" is the one for plain conversations. */
    private static String chatTemplate(Path file, JsonNode v) throws ModelFormatException {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isArray()) {
            for (JsonNode named : v) {
                if (named.isObject() && "default".equals(named.path("name").asText(null))
                        && named.path("template").isTextual()) {
                    return named.get("template").asText();
                }
            }
            throw new ModelFormatException(file, "field chat_template: a list of templates with none named 'default'");
        }
        throw new ModelFormatException(file, "field chat_template: must be a string, got " + v.getNodeType());
    }

    /** A special token is written as its string or as an AddedToken object with a "content" string. */
    private static String token(Path file, JsonNode root, String field) throws ModelFormatException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return v.get("content").asText();
        }
        throw new ModelFormatException(file, "field " + field + ": must be a string or an object with a content string");
    }

    /** The template source; fails naming tokenizer_config.json when the model has none. */
    String requireChatTemplate() throws ModelFormatException {
        if (chatTemplate != null) {
            return chatTemplate;
        }
        if (!present) {
            throw new ModelFormatException(file, "file not found (nor " + JINJA_NAME
                    + "); chat-form data needs the model's chat_template");
        }
        throw new ModelFormatException(file, "field chat_template: absent (and no " + JINJA_NAME
                + "); chat-form data needs the model's chat template");
    }

    /** The {@code bos_token} string; null when the file names none. */
    String bosToken() {
        return bosToken;
    }

    /** The {@code eos_token} string; null when the file names none. */
    String eosToken() {
        return eosToken;
    }

    /** The file the template was read from: this one, or {@code chat_template.jinja} beside it. */
    Path chatTemplateFile() {
        return templateFile;
    }

    /** An error about the chat template, naming where it came from. */
    ModelFormatException templateError(String problem) {
        return templateFile.equals(file) ? new ModelFormatException(file, "field chat_template: " + problem)
                : new ModelFormatException(templateFile, problem);
    }

    Path file() {
        return file;
    }
}
