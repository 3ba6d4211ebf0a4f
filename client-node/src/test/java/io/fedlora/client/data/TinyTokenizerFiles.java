package io.fedlora.client.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tiny model-directory tokenizer files that tests write themselves: a character-level
 * {@code tokenizer.json} (one token per code point; special tokens {@code <pad> <s> </s> <unk>}
 * at ids 0..3 as in the demo, then the extra special tokens asked for, then the alphabet) and a
 * {@code tokenizer_config.json}.
 */
public final class TinyTokenizerFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The demo tokenizer's special tokens (as io.fedlora.client.demo.CharTokenizerJson, in tools), ids 0 to 3. */
    public static final List<String> SPECIALS = List.of("<pad>", "<s>", "</s>", "<unk>");

    private final List<String> vocabulary;

    private TinyTokenizerFiles(List<String> vocabulary) {
        this.vocabulary = List.copyOf(vocabulary);
    }

    /**
     * Writes {@code dir/tokenizer.json}. With {@code bosEosPostProcessor} the post-processor wraps
     * every sequence in {@code <s> ... </s>} (as Llama/Mistral tokenizers add BOS).
     */
    public static TinyTokenizerFiles write(Path dir, List<String> extraSpecials, String alphabet,
            boolean bosEosPostProcessor) throws IOException {
        List<String> characters = new ArrayList<>();
        alphabet.codePoints().forEach(c -> characters.add(new String(Character.toChars(c))));
        return write(dir, extraSpecials, characters, "[\\s\\S]", bosEosPostProcessor);
    }

    /**
     * A word-level variant: the text is split by {@code splitRegex} (Oniguruma) into pieces that
     * must all be in {@code words}; tokens then span several characters.
     */
    public static TinyTokenizerFiles writeWords(Path dir, List<String> extraSpecials, List<String> words,
            String splitRegex) throws IOException {
        return write(dir, extraSpecials, words, splitRegex, false);
    }

    private static TinyTokenizerFiles write(Path dir, List<String> extraSpecials, List<String> pieces,
            String splitRegex, boolean bosEosPostProcessor) throws IOException {
        List<String> vocab = new ArrayList<>(SPECIALS);
        vocab.addAll(extraSpecials);
        int specials = vocab.size();
        vocab.addAll(pieces);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < specials; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", vocab.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        pre.putObject("pattern").put("Regex", splitRegex);
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        if (bosEosPostProcessor) {
            ObjectNode pp = root.putObject("post_processor");
            pp.put("type", "TemplateProcessing");
            ArrayNode single = pp.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            single.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
            ArrayNode pair = pp.putArray("pair");
            pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            ObjectNode st = pp.putObject("special_tokens");
            for (String s : List.of("<s>", "</s>")) {
                ObjectNode e = st.putObject(s);
                e.put("id", s);
                e.putArray("ids").add(vocab.indexOf(s));
                e.putArray("tokens").add(s);
            }
        } else {
            root.putNull("post_processor");
        }
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            v.put(vocab.get(i), i);
        }
        model.put("unk_token", "<unk>");
        Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(root));
        return new TinyTokenizerFiles(vocab);
    }

    /** Writes {@code dir/tokenizer_config.json}; null values are left out. */
    public static void writeConfig(Path dir, String chatTemplate, String bosToken, String eosToken) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (bosToken != null) {
            root.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            // Written as an AddedToken object, the other spelling real checkpoints use.
            root.putObject("eos_token").put("__type", "AddedToken").put("content", eosToken).put("special", true);
        }
        if (chatTemplate != null) {
            root.put("chat_template", chatTemplate);
        }
        root.put("tokenizer_class", "PreTrainedTokenizerFast");
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(root));
    }

    public int size() {
        return vocabulary.size();
    }

    /**
     * The tokens, with each one that carries loss in brackets: an exact, readable picture of a
     * loss mask, e.g. {@code <|im_start|>assistant\n[h][i][<|im_end|>]\n}.
     */
    public String marked(TokenizedExample t) {
        StringBuilder b = new StringBuilder();
        long[] ids = t.ids();
        boolean[] loss = t.inLoss();
        for (int i = 0; i < ids.length; i++) {
            String token = vocabulary.get((int) ids[i]);
            b.append(loss[i] ? "[" + token + "]" : token);
        }
        return b.toString();
    }
}
