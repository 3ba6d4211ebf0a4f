package io.fedlora.client.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns instruction records into token ids with the model's own {@code tokenizer.json} (the
 * Hugging Face tokenizers library through DJL; no network). Prompt and answer are tokenized
 * separately so the boundary between them, and so the loss mask, is exact.
 *
 * <p>Prompt: {@code instruction + "\n"} then {@code input + "\n"} when there is an input.
 * Answer: {@code output} then EOS.
 */
public final class PromptTokenizer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PromptTokenizer.class);

    private final HuggingFaceTokenizer tokenizer;
    private final int bos;
    private final int eos;
    private final int pad;

    private PromptTokenizer(HuggingFaceTokenizer tokenizer, int bos, int eos, int pad) {
        this.tokenizer = tokenizer;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
    }

    /** Loads {@code tokenizer.json} from a model directory; special ids come from {@code config.json}. */
    public static PromptTokenizer load(Path modelDir, LlamaConfig config) throws IOException {
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
        // Qwen2 has a bos_token_id in its config but does not start sequences with it.
        int bos = config.modelType().equals("qwen2") ? -1 : config.bosTokenId();
        int pad = config.padTokenId() >= 0 ? config.padTokenId() : eos;
        return new PromptTokenizer(tok, bos, eos, pad);
    }

    public static String prompt(InstructionExample e) {
        return e.input().isEmpty() ? e.instruction() + "\n" : e.instruction() + "\n" + e.input() + "\n";
    }

    /** Token ids of plain text, no special tokens. */
    public long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    /** Text of ids, special tokens dropped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** BOS (if used), prompt, answer, EOS; cut to {@code maxSeqLen} tokens (flagged, never dropped). */
    public TokenizedExample tokenize(InstructionExample e, int maxSeqLen) {
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
        if (n <= maxSeqLen) {
            return new TokenizedExample(ids, promptLength, false);
        }
        long[] cut = java.util.Arrays.copyOf(ids, maxSeqLen);
        return new TokenizedExample(cut, Math.min(promptLength, maxSeqLen), true);
    }

    /** Tokenizes a dataset; truncations are counted and logged once as a warning. */
    public TokenizedDataset tokenizeAll(List<InstructionExample> examples, int maxSeqLen) {
        if (maxSeqLen < 2) {
            throw new IllegalArgumentException("max_seq_len must be at least 2, got " + maxSeqLen);
        }
        List<TokenizedExample> out = new ArrayList<>(examples.size());
        int truncated = 0;
        for (InstructionExample e : examples) {
            TokenizedExample t = tokenize(e, maxSeqLen);
            truncated += t.truncated() ? 1 : 0;
            out.add(t);
        }
        if (truncated > 0) {
            LOG.warn("{} of {} examples are longer than max_seq_len {} and were truncated", truncated,
                    examples.size(), maxSeqLen);
        }
        return new TokenizedDataset(out, truncated, pad);
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
