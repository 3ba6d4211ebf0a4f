package io.fedlora.client.data;

import static io.fedlora.client.data.ChatMessage.assistant;
import static io.fedlora.client.data.ChatMessage.system;
import static io.fedlora.client.data.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.fedlora.client.model.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The loss mask per model family, on the family's real tokenizer.json and tokenizer_config.json:
 * the tokens in loss decode to exactly the assistant's contents, each followed by the end-of-turn
 * token its template writes after it (and, for Qwen3's last turn, the empty reasoning block the
 * template opens it with), and generation is prompted with exactly what training conditioned on.
 */
class RealChatTemplatesTest {

    private static final List<ChatMessage> ASKED = List.of(system("Be brief."), user("Hi"), assistant("Hello!"),
            user("Bye"));
    private static final List<ChatMessage> ANSWERED = append(ASKED, assistant("See you."));

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3_1", "gemma3", "deepseek_v3", "llama2+llama2", "llama2+mistral_v0_1"})
    void maskedTokensDecodeToTheAssistantsTurns(String family) throws Exception {
        Path model = model(family);
        List<String> expected = switch (family) {
            case "qwen3" -> List.of("Hello!<|im_end|>", "<think>\n\n</think>\n\nSee you.<|im_end|>");
            case "llama3_1" -> List.of("Hello!<|eot_id|>", "See you.<|eot_id|>");
            case "gemma3" -> List.of("Hello!<end_of_turn>", "See you.<end_of_turn>");
            case "deepseek_v3" -> List.of("Hello!<｜end▁of▁sentence｜>", "See you.<｜end▁of▁sentence｜>");
            case "llama2+llama2" -> List.of("Hello! </s>", "See you. </s>");
            default -> List.of("Hello!</s>", "See you.</s>");
        };
        List<ChatMessage> conversation = family.endsWith("mistral_v0_1") ? ANSWERED.subList(1, 5) : ANSWERED;
        try (PromptTokenizer tok = PromptTokenizer.load(model, TestModels.tiny(true), ChatTemplateTest.CLOCK);
             HuggingFaceTokenizer raw = HuggingFaceTokenizer.newInstance(model.resolve("tokenizer.json"),
                     Map.of("addSpecialTokens", "false"))) {
            TokenizedExample t = tok.tokenize(new ChatExample(conversation), 4096);
            assertEquals(expected, maskedRuns(t, raw), family);

            // Generation continues from exactly the tokens the last answer was trained after.
            long[] ids = t.ids();
            boolean[] loss = t.inLoss();
            int lastAnswer = ids.length;
            while (!loss[lastAnswer - 1]) {
                lastAnswer--;
            }
            while (loss[lastAnswer - 1]) {
                lastAnswer--;
            }
            assertArrayEquals(Arrays.copyOf(ids, lastAnswer), tok.chatPrompt(conversation.subList(0,
                    conversation.size() - 1)), family);
        }
    }

    /** Each run of consecutive tokens in loss, decoded with special tokens kept (leading space of SentencePiece dropped). */
    private static List<String> maskedRuns(TokenizedExample t, HuggingFaceTokenizer raw) {
        List<String> runs = new ArrayList<>();
        long[] ids = t.ids();
        boolean[] loss = t.inLoss();
        int i = 0;
        while (i < ids.length) {
            if (!loss[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < ids.length && loss[j]) {
                j++;
            }
            runs.add(raw.decode(Arrays.copyOfRange(ids, i, j), false).stripLeading());
            i = j;
        }
        return runs;
    }

    /** {@code family} or {@code tokenizerFamily+template} for a tokenizer shipped without a template. */
    private Path model(String family) throws Exception {
        Path model;
        if (family.contains("+")) {
            String[] parts = family.split("\\+");
            model = RealTokenizerFiles.tokenizerOnly(parts[0], dir.resolve(family));
            String template = parts[1].equals("llama2") ? KnownChatTemplates.LLAMA2 : KnownChatTemplates.MISTRAL_V0_1;
            TinyTokenizerFiles.writeConfig(model, template, "<s>", "</s>");
        } else {
            model = RealTokenizerFiles.modelDir(family, dir.resolve(family));
        }
        TestModels.tiny(true).write(model.resolve("config.json"));
        return model;
    }

    private static List<ChatMessage> append(List<ChatMessage> messages, ChatMessage m) {
        List<ChatMessage> out = new ArrayList<>(messages);
        out.add(m);
        return List.copyOf(out);
    }
}
