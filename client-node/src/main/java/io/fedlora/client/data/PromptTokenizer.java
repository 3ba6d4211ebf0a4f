package io.fedlora.client.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns training records of all three forms into token ids and loss masks with the model's own
 * {@code tokenizer.json} (the Hugging Face tokenizers library through DJL; no network).
 *
 * <ul>
 *   <li>Instruction: prompt {@code instruction + "\n"} then {@code input + "\n"} when there is an
 *       input; answer {@code output} then EOS. BOS (from config.json; none for qwen2/qwen3) first. Prompt
 *       and answer are tokenized separately so the boundary, and so the loss mask, is exact.
 *   <li>Chat: the conversation as the model's own chat template (run by a Jinja engine) writes
 *       it, tokenized whole without the post-processor; loss on the assistant turns
 *       ({@link ChatEncoder}).
 *   <li>Text: tokenized with the post-processor, so {@code tokenizer.json} alone decides BOS/EOS;
 *       every token carries loss.
 * </ul>
 */
public final class PromptTokenizer implements AutoCloseable {

    private static final java.util.Set<String> QWEN_TYPES = java.util.Set.of("qwen2", "qwen3");

    private static final Logger LOG = LoggerFactory.getLogger(PromptTokenizer.class);

    private final HuggingFaceTokenizer tokenizer;
    private final ChatEncoder chat;
    private final int bos;
    private final int eos;
    private final int pad;

    private PromptTokenizer(HuggingFaceTokenizer tokenizer, Path modelDir, InstantSource clock, int bos, int eos,
            int pad) {
        this.tokenizer = tokenizer;
        this.chat = new ChatEncoder(tokenizer, modelDir, clock);
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
    }

    /**
     * Loads {@code tokenizer.json} from a model directory; the instruction form's special ids come
     * from {@code config.json}. {@code tokenizer_config.json} is read when chat data first needs it.
     * A chat template's {@code strftime_now} reads the system clock.
     */
    public static PromptTokenizer load(Path modelDir, LlamaConfig config) throws IOException {
        return load(modelDir, config, InstantSource.system());
    }

    /** As {@link #load(Path, LlamaConfig)}, with the clock a chat template's {@code strftime_now} reads. */
    public static PromptTokenizer load(Path modelDir, LlamaConfig config, InstantSource clock) throws IOException {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "file not found");
        }
        HuggingFaceTokenizer tok;
        try {
            tok = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false",
                    "truncation", "false", "padding", "false"));
        } catch (RuntimeException e) {
            throw new ModelFormatException(file, "cannot be loaded by the tokenizers library: " + e.getMessage());
        }
        int eos = config.requireEos(modelDir.resolve("config.json"));
        // Qwen2 and Qwen3 have a bos_token_id in their config but do not start sequences with it.
        int bos = QWEN_TYPES.contains(config.modelType()) ? -1 : config.bosTokenId();
        int pad = config.padTokenId() >= 0 ? config.padTokenId() : eos;
        return new PromptTokenizer(tok, modelDir, clock, bos, eos, pad);
    }

    public static String prompt(InstructionExample e) {
        return e.input().isEmpty() ? e.instruction() + "\n" : e.instruction() + "\n" + e.input() + "\n";
    }

    /** Token ids of plain text, no post-processor (added tokens in the text are still recognised). */
    public long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    /** Text of ids, special tokens dropped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** Token ids and loss mask of any record, cut to {@code maxSeqLen} tokens (flagged, never dropped). */
    public TokenizedExample tokenize(TrainingExample e, int maxSeqLen) {
        TokenizedExample whole;
        if (e instanceof InstructionExample i) {
            whole = instruction(i);
        } else if (e instanceof ChatExample c) {
            whole = chat.encode(c);
        } else {
            whole = text((TextExample) e);
        }
        return whole.truncatedTo(maxSeqLen);
    }

    /** BOS (if used), prompt, answer, EOS; loss on the answer and EOS. */
    private TokenizedExample instruction(InstructionExample e) {
        long[] prompt = encode(prompt(e));
        long[] answer = encode(e.output());
        int n = (bos >= 0 ? 1 : 0) + prompt.length + answer.length + 1;
        long[] ids = new long[n];
        int i = 0;
        if (bos >= 0) {
            ids[i++] = bos;
        }
        for (long id : prompt) {
            ids[i++] = id;
        }
        int promptLength = i;
        for (long id : answer) {
            ids[i++] = id;
        }
        ids[i] = eos;
        return new TokenizedExample(ids, promptLength, false);
    }

    /** With the post-processor: tokenizer.json decides BOS/EOS; this code adds none. */
    private TokenizedExample text(TextExample e) {
        long[] ids = tokenizer.encode(e.text(), true, false).getIds();
        boolean[] inLoss = new boolean[ids.length];
        Arrays.fill(inLoss, true);
        return new TokenizedExample(ids, inLoss, false);
    }

    /**
     * The prompt ids for a chat model: {@code messages} (ending with a user turn) in the model's
     * chat template, with the opening of the assistant's reply. Fails as chat data would when the
     * model has no chat template.
     */
    public long[] chatPrompt(List<ChatMessage> messages) throws IOException {
        try {
            return chat.encodePrompt(messages);
        } catch (ChatTemplateException e) {
            throw new IllegalArgumentException(e.field() + ": " + e.getMessage(), e);
        }
    }

    /** Tokenizes a dataset; truncations are counted and logged once as a warning. */
    public TokenizedDataset tokenizeAll(List<? extends TrainingExample> examples, int maxSeqLen) {
        if (maxSeqLen < 2) {
            throw new IllegalArgumentException("max_seq_len must be at least 2, got " + maxSeqLen);
        }
        List<TokenizedExample> out = new ArrayList<>(examples.size());
        int truncated = 0;
        int emptied = 0;
        for (TrainingExample e : examples) {
            TokenizedExample t = tokenize(e, maxSeqLen);
            truncated += t.truncated() ? 1 : 0;
            emptied += t.truncated() && t.answerTokens() == 0 ? 1 : 0;
            out.add(t);
        }
        if (truncated > 0) {
            LOG.warn("{} of {} examples are longer than max_seq_len {} and were truncated ({} of them keep no trained "
                    + "token)", truncated, examples.size(), maxSeqLen, emptied);
        }
        return new TokenizedDataset(out, truncated, pad);
    }

    /**
     * Fails early, naming file, line and field, for data this model cannot tokenize: chat data
     * needs a chat template that renders, whose BOS/EOS tokens the tokenizer has, and
     * conversations the template accepts and writes whole.
     */
    public void check(TrainingData data) throws IOException {
        if (data.form().orElse(null) == DataForm.CHAT) {
            chat.check(data);
        }
    }

    public int bosId() {
        return bos;
    }

    public int eosId() {
        return eos;
    }

    public int padId() {
        return pad;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
