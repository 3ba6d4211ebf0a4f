package io.fedlora.client.data;

import static io.fedlora.client.data.ChatMessage.assistant;
import static io.fedlora.client.data.ChatMessage.system;
import static io.fedlora.client.data.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.model.ModelFormatException;
import io.fedlora.client.model.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each form's token ids and loss mask on a tiny character tokenizer the test writes itself
 * ({@link TinyTokenizerFiles#marked} shows tokens in loss in brackets).
 */
class TrainingFormsTokenizeTest {

    private static final String ALPHABET = "\n abcdefghijklmnopqrstuvwxyz.!é\uD83D\uDE00";
    private static final List<String> CHATML = List.of("<|im_start|>", "<|im_end|>");

    @TempDir
    Path dir;

    private TinyTokenizerFiles model(List<String> specials, boolean bosEos, String template) throws Exception {
        TestModels.tiny(true).write(dir.resolve("config.json"));
        TinyTokenizerFiles tok = TinyTokenizerFiles.write(dir, specials, ALPHABET, bosEos);
        if (template != null) {
            TinyTokenizerFiles.writeConfig(dir, template, "<s>", template.contains("im_end") ? "<|im_end|>" : "</s>");
        }
        return tok;
    }

    private PromptTokenizer load() throws Exception {
        return PromptTokenizer.load(dir, TestModels.tiny(true));
    }

    @Test
    void chatTrainsOnAssistantTurnsAndTheirEndToken() throws Exception {
        TinyTokenizerFiles files = model(CHATML, true, KnownChatTemplates.SMOLLM2);
        try (PromptTokenizer tok = load()) {
            TokenizedExample t = tok.tokenize(ChatExample.of(system("be brief."), user("hi"), assistant("hello!"),
                    user("bye"), assistant("ok")), 512);
            assertEquals("<|im_start|>system\nbe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
                    + "<|im_start|>assistant\n[h][e][l][l][o][!][<|im_end|>]\n<|im_start|>user\nbye<|im_end|>\n"
                    + "<|im_start|>assistant\n[o][k][<|im_end|>]\n", files.marked(t));
            assertFalse(t.truncated());

            // No BOS/EOS from the post-processor or config.json: the template's text is the whole sequence.
            TokenizedExample small = tok.tokenize(ChatExample.of(system("s"), user("hi"), assistant("ok")), 512);
            assertTrue(files.marked(small).startsWith("<|im_start|>system\ns<|im_end|>"), files.marked(small));
            int n = small.length();
            Batch b = Batch.of(List.of(small), tok.padId());
            float[] expected = new float[n - 1];
            // targets are the next tokens: o, k, <|im_end|> sit at n-4..n-2 and are predicted from n-5..n-3
            expected[n - 5] = 1;
            expected[n - 4] = 1;
            expected[n - 3] = 1;
            assertArrayEquals(expected, b.mask());
            assertEquals(3, b.answerTokens());
        }
    }

    @Test
    void chatMaskFollowsCodePointsNotUtf16() throws Exception {
        // The emoji is one token and one code point but two Java chars: a UTF-16 offset would shift the mask.
        TinyTokenizerFiles files = model(CHATML, false, KnownChatTemplates.QWEN2_5);
        try (PromptTokenizer tok = load()) {
            TokenizedExample t = tok.tokenize(ChatExample.of(system("\uD83D\uDE00\uD83D\uDE00"), user("é"),
                    assistant("\uD83D\uDE00é!")), 512);
            assertEquals("<|im_start|>system\n\uD83D\uDE00\uD83D\uDE00<|im_end|>\n<|im_start|>user\né<|im_end|>\n"
                    + "<|im_start|>assistant\n[\uD83D\uDE00][é][!][<|im_end|>]\n", files.marked(t));
        }
    }

    @Test
    void aTokenStraddlingTheStartOfTheAnswerIsTrained() throws Exception {
        // Word tokens that swallow the newline before them: "\nok" is half header, half answer, and the
        // model has to produce it to produce the answer.
        TestModels.tiny(true).write(dir.resolve("config.json"));
        TinyTokenizerFiles files = TinyTokenizerFiles.writeWords(dir, CHATML,
                List.of("system", "\ns", "user", "\nhi", "assistant", "\nok", "\n"), "\\n?[a-z]+|\\n");
        TinyTokenizerFiles.writeConfig(dir, KnownChatTemplates.SMOLLM2, null, "<|im_end|>");
        try (PromptTokenizer tok = load()) {
            assertEquals("<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant"
                    + "[\nok][<|im_end|>]\n", files.marked(tok.tokenize(ChatExample.of(system("s"), user("hi"),
                    assistant("ok")), 512)));
        }
    }

    @Test
    void textTrainsOnEveryTokenWithOnlyThePostProcessorsSpecialTokens() throws Exception {
        TinyTokenizerFiles withPost = model(List.of(), true, null);
        try (PromptTokenizer tok = load()) {
            TokenizedExample t = tok.tokenize(new TextExample("ab c"), 512);
            assertEquals("[<s>][a][b][ ][c][</s>]", withPost.marked(t));
            assertArrayEquals(new float[] {1, 1, 1, 1, 1}, Batch.of(List.of(t), tok.padId()).mask());
        }
        TinyTokenizerFiles plain = model(List.of(), false, null);
        try (PromptTokenizer tok = load()) {
            // config.json names BOS and EOS ids, but the tokenizer adds none, so neither does fedlora.
            assertEquals("[a][b][ ][c]", plain.marked(tok.tokenize(new TextExample("ab c"), 512)));
        }
    }

    @Test
    void instructionFormIsUnchangedByAPostProcessor() throws Exception {
        TinyTokenizerFiles files = model(List.of(), true, null);
        try (PromptTokenizer tok = load()) {
            assertEquals("<s>hi\n[o][k][</s>]", files.marked(tok.tokenize(new InstructionExample("hi", "", "ok"), 512)));
            assertEquals("<s>hi\nab\n[o][k][</s>]",
                    files.marked(tok.tokenize(new InstructionExample("hi", "ab", "ok"), 512)));
        }
    }

    @Test
    void longExamplesAreTruncatedAndCountedNeverDropped() throws Exception {
        TinyTokenizerFiles files = model(CHATML, true, KnownChatTemplates.SMOLLM2);
        try (PromptTokenizer tok = load()) {
            List<TrainingExample> examples = List.of(
                    ChatExample.of(system("s"), user("hi"), assistant("ok")), // 36 tokens
                    ChatExample.of(system("a long system message"), user("hi"), assistant("ok")),
                    new TextExample("short"));
            TokenizedDataset d = tok.tokenizeAll(examples, 36);
            assertEquals(3, d.size());
            assertEquals(1, d.truncatedCount());
            TokenizedExample cut = d.examples().get(1);
            assertTrue(cut.truncated());
            assertEquals(36, cut.length());
            assertEquals(0, cut.answerTokens(), files.marked(cut));
            assertEquals(3, d.examples().get(0).answerTokens(), files.marked(d.examples().get(0)));
            assertFalse(d.examples().get(0).truncated());
            TokenizedExample text = tok.tokenize(new TextExample("abcdefgh"), 4);
            assertEquals("[<s>][a][b][c]", files.marked(text));
            assertTrue(text.truncated());
        }
    }

    @Test
    void aChatPromptIsTheConversationUpToWhereTheAnswerIsTrained() throws Exception {
        // What generation continues must be exactly what training conditioned the answer on.
        for (String template : List.of(KnownChatTemplates.SMOLLM2, KnownChatTemplates.MISTRAL_V0_1)) {
            List<String> specials = template.contains("im_end") ? CHATML : List.of();
            model(specials, true, template);
            try (PromptTokenizer tok = load()) {
                List<ChatMessage> asked = template.contains("im_end")
                        ? List.of(system("be brief."), user("hi"), assistant("hello!"), user("bye"))
                        : List.of(user("hi"), assistant("hello!"), user("bye"));
                List<ChatMessage> answered = new java.util.ArrayList<>(asked);
                answered.add(assistant("ok"));
                TokenizedExample whole = tok.tokenize(new ChatExample(answered), 512);
                int lastPrompt = whole.length();
                while (!whole.inLoss()[lastPrompt - 1]) { // text after the answer's end token
                    lastPrompt--;
                }
                while (whole.inLoss()[lastPrompt - 1]) {
                    lastPrompt--;
                }
                assertArrayEquals(java.util.Arrays.copyOf(whole.ids(), lastPrompt), tok.chatPrompt(asked),
                        specials.isEmpty() ? "Mistral" : "SmolLM2");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.chatPrompt(answered));
                assertTrue(e.getMessage().contains("ends with a user message"), e.getMessage());
            }
        }
    }

    @Test
    void aConversationTheTemplateRefusesNamesFileLineAndField() throws Exception {
        model(List.of(), false, KnownChatTemplates.MISTRAL_V0_1);
        Path data = dir.resolve("chat.jsonl");
        Files.writeString(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n"
                + "\n{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"a\"},"
                + "{\"role\":\"assistant\",\"content\":\"b\"}]}\n");
        try (PromptTokenizer tok = load()) {
            DataFormatException e = assertThrows(DataFormatException.class, () -> tok.check(JsonlExamples.read(data)));
            assertEquals(data + ":3: field 'messages[0]': this model's chat template (tokenizer_config.json) refuses "
                    + "the conversation: Conversation roles must alternate user/assistant/user/assistant/...",
                    e.getMessage());
        }
    }

    @Test
    void chatDataNeedsTheTemplatesSpecialTokensAndATokenizerConfig() throws Exception {
        model(List.of(), false, null);
        TinyTokenizerFiles.writeConfig(dir, KnownChatTemplates.MISTRAL_V0_1, "<s>", "<|eos|>");
        Path data = dir.resolve("chat.jsonl");
        Files.writeString(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n");
        try (PromptTokenizer tok = load()) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> tok.check(JsonlExamples.read(data)));
            assertEquals(dir.resolve("tokenizer.json") + ": '<|eos|>', the eos_token of tokenizer_config.json that the "
                    + "chat template writes, is not a single token of this tokenizer", e.getMessage());
        }
        Files.delete(dir.resolve("tokenizer_config.json"));
        try (PromptTokenizer tok = load()) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> tok.check(JsonlExamples.read(data)));
            assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer_config.json") + ": file not found"),
                    e.getMessage());
            // Other forms do not need it.
            tok.check(JsonlExamples.read(Files.writeString(dir.resolve("text.jsonl"), "{\"text\":\"ab\"}\n")));
        }
    }
}
