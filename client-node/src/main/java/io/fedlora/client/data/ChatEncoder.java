package io.fedlora.client.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import io.fedlora.client.model.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chat records to tokens, as {@code apply_chat_template(..., tokenize=True)} would make them: the
 * conversation rendered by the model's recognised chat template, then tokenized whole with no
 * post-processor (the template writes BOS/EOS itself), so tokens merge across turn boundaries as
 * they will at inference. A token carries loss when its character span overlaps an assistant
 * turn. The template is recognised on first use: a model without one still trains on the other forms.
 */
final class ChatEncoder {

    private static final Logger LOG = LoggerFactory.getLogger(ChatEncoder.class);

    private final HuggingFaceTokenizer tokenizer;
    private final Path modelDir;
    private ChatTemplate template;

    /** {@code tokenizer} stays owned by the caller. */
    ChatEncoder(HuggingFaceTokenizer tokenizer, Path modelDir) {
        this.tokenizer = tokenizer;
        this.modelDir = modelDir;
    }

    TokenizedExample encode(ChatExample e) {
        ChatText text;
        try {
            text = template().render(e.messages());
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
     * A conversation ending with a user turn, rendered with the template's generation prompt and
     * tokenized as {@link #encode} does: the ids a chat model continues with its answer.
     */
    long[] encodePrompt(List<ChatMessage> messages) throws IOException, ChatTemplateException {
        if (messages.isEmpty() || messages.get(messages.size() - 1).role() != ChatRole.USER) {
            throw new ChatTemplateException("messages[" + Math.max(0, messages.size() - 1) + "].role",
                    "a chat prompt ends with a user message");
        }
        ChatTemplate t = template();
        String text = t.render(messages).text() + t.generationPrompt();
        return tokenizer.encode(text, false, false).getIds();
    }

    /** Every conversation of chat-form data renders; a refusal names its file, line and field. */
    void check(TrainingData data) throws IOException {
        ChatTemplate t = template();
        for (int i = 0; i < data.size(); i++) {
            try {
                t.render(((ChatExample) data.examples().get(i)).messages());
            } catch (ChatTemplateException e) {
                throw new DataFormatException(data.file(), data.line(i), e.field(), e.getMessage());
            }
        }
    }

    String family() throws IOException {
        return template().family();
    }

    private synchronized ChatTemplate template() throws IOException {
        if (template == null) {
            ChatTemplate t = ChatTemplates.recognise(TokenizerConfigFile.read(modelDir));
            for (String special : t.specialTokens()) {
                // As plain text this would split into pieces and the model would never see the marker it knows.
                if (tokenizer.encode(special, false, false).getIds().length != 1) {
                    throw new ModelFormatException(modelDir.resolve("tokenizer.json"), "'" + special + "', which the "
                            + t.family() + " chat template in " + TokenizerConfigFile.NAME
                            + " writes, is not a single token of this tokenizer");
                }
            }
            LOG.info("chat data: {} chat template", t.family());
            template = t;
        }
        return template;
    }
}
