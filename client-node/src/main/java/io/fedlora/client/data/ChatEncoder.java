package io.fedlora.client.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import io.fedlora.client.model.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chat records to tokens, as {@code apply_chat_template(..., tokenize=True)} would make them: the
 * conversation rendered by the model's own chat template, then tokenized whole with no
 * post-processor (the template writes BOS/EOS itself), so tokens merge across turn boundaries as
 * they will at inference. A token carries loss when its character span overlaps the assistant's
 * text ({@link TrainedSpans}). The template is loaded on first use: a model without one still
 * trains on the other forms.
 */
final class ChatEncoder {

    private static final Logger LOG = LoggerFactory.getLogger(ChatEncoder.class);

    private final HuggingFaceTokenizer tokenizer;
    private final Path modelDir;
    private final InstantSource clock;
    private ChatTemplate template;

    /** {@code tokenizer} stays owned by the caller; {@code clock} is what {@code strftime_now} reads. */
    ChatEncoder(HuggingFaceTokenizer tokenizer, Path modelDir, InstantSource clock) {
        this.tokenizer = tokenizer;
        this.modelDir = modelDir;
        this.clock = clock;
    }

    TokenizedExample encode(ChatExample e) {
        ChatText text;
        try {
            text = template().conversation(e.messages());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (ChatTemplateException ex) {
            throw new IllegalArgumentException(ex.field() + ": " + ex.getMessage(), ex);
        }
        Encoding enc = tokenizer.encode(text.text(), false, false);
        CharSpan[] spans = enc.getCharTokenSpans();
        long[] ids = enc.getIds();
        boolean[] inLoss = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            inLoss[i] = spans[i] != null && text.isTrained(spans[i].getStart(), spans[i].getEnd());
        }
        return new TokenizedExample(ids, inLoss, false);
    }

    /**
     * A conversation ending with a user turn, rendered with {@code add_generation_prompt} and
     * tokenized as {@link #encode} does: the ids a chat model continues with its answer.
     */
    long[] encodePrompt(List<ChatMessage> messages) throws IOException, ChatTemplateException {
        if (messages.isEmpty() || messages.get(messages.size() - 1).role() != ChatRole.USER) {
            throw new ChatTemplateException("messages[" + Math.max(0, messages.size() - 1) + "].role",
                    "a chat prompt ends with a user message");
        }
        return tokenizer.encode(template().prompt(messages), false, false).getIds();
    }

    /**
     * Every conversation of chat-form data renders and has its trained text found; a refusal
     * names file, line and field.
     */
    void check(TrainingData data) throws IOException {
        ChatTemplate t = template();
        for (int i = 0; i < data.size(); i++) {
            try {
                t.conversation(((ChatExample) data.examples().get(i)).messages());
            } catch (ChatTemplateException e) {
                throw new DataFormatException(data.file(), data.line(i), e.field(), e.getMessage());
            }
        }
    }

    private synchronized ChatTemplate template() throws IOException {
        if (template == null) {
            ChatTemplate t = ChatTemplate.load(TokenizerConfigFile.read(modelDir), clock);
            requireSingleToken(t, "bos_token", t.bosToken());
            requireSingleToken(t, "eos_token", t.eosToken());
            LOG.info("chat data: the model's chat template from {}{}", t.file(),
                    t.hasGenerationBlocks() ? ", trained text from its {% generation %} blocks" : "");
            template = t;
        }
        return template;
    }

    /** As plain text a special token would split into pieces, and the model would never see the marker it knows. */
    private void requireSingleToken(ChatTemplate t, String field, String token) throws ModelFormatException {
        if (token != null && t.usesVariable(field) && tokenizer.encode(token, false, false).getIds().length != 1) {
            throw new ModelFormatException(modelDir.resolve("tokenizer.json"), "'" + token + "', the " + field + " of "
                    + TokenizerConfigFile.NAME + " that the chat template writes, is not a single token of this "
                    + "tokenizer");
        }
    }
}
