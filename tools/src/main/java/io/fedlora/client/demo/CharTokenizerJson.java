package io.fedlora.client.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A character-level tokenizer in the Hugging Face tokenizers JSON format: a WordLevel model over
 * single characters, a Split pre-tokenizer that isolates every character (whitespace included),
 * a Fuse decoder that joins tokens back without spaces, and special tokens {@code <pad>},
 * {@code <s>}, {@code </s>}, {@code <unk>} with ids 0 to 3.
 */
public final class CharTokenizerJson {

    public static final List<String> SPECIALS = List.of("<pad>", "<s>", "</s>", "<unk>");
    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    public static final int UNK = 3;

    private CharTokenizerJson() {}

    /** Vocabulary size for an alphabet: the special tokens plus one token per character. */
    public static int vocabSize(String alphabet) {
        return SPECIALS.size() + alphabet.length();
    }

    public static String json(String alphabet) throws IOException {
        if (alphabet.chars().distinct().count() != alphabet.length()) {
            throw new IllegalArgumentException("alphabet has repeated characters");
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", SPECIALS.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        // Oniguruma (the library's regex engine) has no (?s); a class that matches every character instead.
        pre.putObject("pattern").put("Regex", "[\\s\\S]");
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < SPECIALS.size(); i++) {
            vocab.put(SPECIALS.get(i), i);
        }
        for (int i = 0; i < alphabet.length(); i++) {
            vocab.put(String.valueOf(alphabet.charAt(i)), SPECIALS.size() + i);
        }
        model.put("unk_token", "<unk>");
        return json.writeValueAsString(root) + "\n";
    }

    public static void write(Path file, String alphabet) throws IOException {
        Files.writeString(file, json(alphabet));
    }
}
