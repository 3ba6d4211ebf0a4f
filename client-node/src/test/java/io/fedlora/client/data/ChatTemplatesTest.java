package io.fedlora.client.data;

import static io.fedlora.client.data.ChatMessage.assistant;
import static io.fedlora.client.data.ChatMessage.system;
import static io.fedlora.client.data.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.model.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each recognised family renders exactly what the published template renders (worked out from its Jinja source). */
class ChatTemplatesTest {

    @TempDir
    Path dir;

    private static final List<ChatMessage> WITH_SYSTEM = List.of(system("Be brief."), user("Hi"), assistant("Hello!"),
            user("Bye"), assistant("See you."));
    private static final List<ChatMessage> NO_SYSTEM = WITH_SYSTEM.subList(1, WITH_SYSTEM.size());

    private ChatTemplate recognise(String template, String bos, String eos) throws Exception {
        TinyTokenizerFiles.writeConfig(dir, template, bos, eos);
        return ChatTemplates.recognise(TokenizerConfigFile.read(dir));
    }

    private record Case(String name, String template, String bos, String eos, List<ChatMessage> messages,
            String family, String text, List<String> trained) {}

    @Test
    void everyRecognisedFamilyRendersExactlyTheTemplatesText() throws Exception {
        String qwenDefault = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                + "<|im_end|>\n";
        String chatMlTurns = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nSee you.<|im_end|>\n";
        List<String> chatMlTrained = List.of("Hello!<|im_end|>", "See you.<|im_end|>");
        String llama3Turns = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nSee you.<|eot_id|>";
        List<String> llama3Trained = List.of("Hello!<|eot_id|>", "See you.<|eot_id|>");
        String llama31Head = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        // Llama 3 trims contents; the padded variant shows it.
        List<ChatMessage> padded = List.of(system(" Be brief.\n"), user(" Hi"), assistant("Hello! \n"), user("Bye"),
                assistant("See you."));
        List<Case> cases = List.of(
                new Case("Qwen2.5, system given", KnownChatTemplates.QWEN2_5, null, "<|im_end|>", WITH_SYSTEM, "ChatML",
                        "<|im_start|>system\nBe brief.<|im_end|>\n" + chatMlTurns, chatMlTrained),
                new Case("Qwen2.5, default system", KnownChatTemplates.QWEN2_5, null, "<|im_end|>", NO_SYSTEM, "ChatML",
                        qwenDefault + chatMlTurns, chatMlTrained),
                new Case("SmolLM2, default system", KnownChatTemplates.SMOLLM2, null, "<|im_end|>", NO_SYSTEM, "ChatML",
                        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                                + "<|im_end|>\n" + chatMlTurns, chatMlTrained),
                new Case("SmolLM2, system given", KnownChatTemplates.SMOLLM2, null, "<|im_end|>", WITH_SYSTEM, "ChatML",
                        "<|im_start|>system\nBe brief.<|im_end|>\n" + chatMlTurns, chatMlTrained),
                new Case("Llama 3", KnownChatTemplates.LLAMA3, "<|begin_of_text|>", "<|eot_id|>", padded, "Llama 3",
                        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" + llama3Turns,
                        llama3Trained),
                new Case("Llama 3, no system", KnownChatTemplates.LLAMA3, "<|begin_of_text|>", "<|eot_id|>", NO_SYSTEM,
                        "Llama 3", "<|begin_of_text|>" + llama3Turns, llama3Trained),
                new Case("Llama 3.1", KnownChatTemplates.LLAMA3_1, "<|begin_of_text|>", "<|eot_id|>", padded, "Llama 3.1",
                        llama31Head + "Be brief.<|eot_id|>" + llama3Turns, llama3Trained),
                new Case("Llama 3.1, no system", KnownChatTemplates.LLAMA3_1, "<|begin_of_text|>", "<|eot_id|>",
                        NO_SYSTEM, "Llama 3.1", llama31Head + "<|eot_id|>" + llama3Turns, llama3Trained),
                new Case("Llama 3.2 (fixed fallback date)", KnownChatTemplates.LLAMA3_2, "<|begin_of_text|>",
                        "<|eot_id|>", NO_SYSTEM, "Llama 3.1", llama31Head + "<|eot_id|>" + llama3Turns, llama3Trained),
                new Case("Llama 2", KnownChatTemplates.LLAMA2, "<s>", "</s>", WITH_SYSTEM, "Llama 2 [INST]",
                        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST] See you. </s>",
                        List.of(" Hello! </s>", " See you. </s>")),
                new Case("Llama 2, no system", KnownChatTemplates.LLAMA2, "<s>", "</s>", NO_SYSTEM, "Llama 2 [INST]",
                        "<s>[INST] Hi [/INST] Hello! </s><s>[INST] Bye [/INST] See you. </s>",
                        List.of(" Hello! </s>", " See you. </s>")),
                new Case("Mistral v0.1", KnownChatTemplates.MISTRAL_V0_1, "<s>", "</s>", NO_SYSTEM, "Mistral [INST]",
                        "<s>[INST] Hi [/INST]Hello!</s> [INST] Bye [/INST]See you.</s> ",
                        List.of("Hello!</s>", "See you.</s>")),
                new Case("Mistral v0.2 early", KnownChatTemplates.MISTRAL_V0_2_EARLY, "<s>", "</s>", NO_SYSTEM,
                        "Mistral [INST]", "<s>[INST] Hi [/INST]Hello!</s>[INST] Bye [/INST]See you.</s>",
                        List.of("Hello!</s>", "See you.</s>")),
                new Case("Mistral v0.2", KnownChatTemplates.MISTRAL_V0_2, "<s>", "</s>", WITH_SYSTEM, "Mistral [INST]",
                        "<s> [INST] Be brief.\n\nHi [/INST] Hello!</s> [INST] Bye [/INST] See you.</s>",
                        List.of(" Hello!</s>", " See you.</s>")),
                new Case("Mistral v0.3", KnownChatTemplates.MISTRAL_V0_3, "<s>", "</s>", padded, "Mistral [INST]",
                        "<s>[INST]  Hi[/INST] Hello!</s>[INST]  Be brief.\n\n\nBye[/INST] See you.</s>",
                        List.of(" Hello!</s>", " See you.</s>")));
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            ChatTemplate t = recognise(c.template(), c.bos(), c.eos());
            ChatText text = t.render(c.messages());
            if (!t.family().equals(c.family()) || !text.text().equals(c.text())
                    || !text.trainedParts().equals(c.trained())) {
                failures.add(c.name() + ": " + t.family() + " " + show(text.text()) + " trained " + text.trainedParts());
            }
        }
        assertEquals(List.of(), failures);
    }

    private static String show(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }

    @Test
    void unknownFamiliesAndUnreproducedVariantsNameTheFileAndField() throws Exception {
        List<String> failures = new ArrayList<>();
        record Bad(String name, String template, String expected) {}
        for (Bad b : List.of(
                new Bad("Gemma", KnownChatTemplates.GEMMA2, "not a chat template family fedlora recognises"),
                new Bad("Qwen3-like", KnownChatTemplates.QWEN3_LIKE, "reasoning (<think>)"),
                new Bad("ChatML with trimmed content", KnownChatTemplates.SMOLLM2.replace("message['content'] +",
                        "message['content'] | trim +"), "like the ChatML family"),
                new Bad("Llama 3 without trim", KnownChatTemplates.LLAMA3.replace("| trim", ""), "like the Llama 3 family"),
                new Bad("Llama 3.1 with today's date only", KnownChatTemplates.LLAMA3_1.replace(
                        "{%- set date_string = \"26 Jul 2024\" %}", "{%- set date_string = strftime_now(\"%d %b %Y\") %}"),
                        "no fixed default"),
                new Bad("[INST] with another assistant turn", KnownChatTemplates.MISTRAL_V0_1.replace(
                        "message['content'] + eos_token + ' '", "'\\n' + message['content'] + eos_token"),
                        "like the Mistral family"),
                new Bad("unterminated", "{{ 'abc' ", "not a readable Jinja template"))) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> recognise(b.template(), "<s>", "</s>"),
                    b.name());
            String m = e.getMessage();
            if (!m.contains(dir.resolve("tokenizer_config.json") + ": field chat_template: ") || !m.contains(b.expected())) {
                failures.add(b.name() + ": " + m);
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void missingTemplateOrSpecialTokensNameTheField() throws Exception {
        ModelFormatException noFile = assertThrows(ModelFormatException.class,
                () -> ChatTemplates.recognise(TokenizerConfigFile.read(dir)));
        assertTrue(noFile.getMessage().contains("tokenizer_config.json: file not found"), noFile.getMessage());
        ModelFormatException noTemplate = assertThrows(ModelFormatException.class, () -> recognise(null, "<s>", "</s>"));
        assertTrue(noTemplate.getMessage().contains("tokenizer_config.json: field chat_template: absent"),
                noTemplate.getMessage());
        ModelFormatException noEos = assertThrows(ModelFormatException.class,
                () -> recognise(KnownChatTemplates.MISTRAL_V0_2, "<s>", null));
        assertTrue(noEos.getMessage().contains("tokenizer_config.json: field eos_token: absent"), noEos.getMessage());
        ModelFormatException noBos = assertThrows(ModelFormatException.class,
                () -> recognise(KnownChatTemplates.LLAMA3_1, null, "<|eot_id|>"));
        assertTrue(noBos.getMessage().contains("tokenizer_config.json: field bos_token: absent"), noBos.getMessage());
    }

    @Test
    void templateMayComeFromChatTemplateJinjaOrANamedList() throws Exception {
        TinyTokenizerFiles.writeConfig(dir, null, null, "<|im_end|>");
        Files.writeString(dir.resolve("chat_template.jinja"), KnownChatTemplates.SMOLLM2);
        assertEquals("ChatML", ChatTemplates.recognise(TokenizerConfigFile.read(dir)).family());
        Files.writeString(dir.resolve("chat_template.jinja"), KnownChatTemplates.GEMMA2);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ChatTemplates.recognise(TokenizerConfigFile.read(dir)));
        assertTrue(e.getMessage().startsWith(dir.resolve("chat_template.jinja") + ": not a chat template family"),
                e.getMessage());
        Files.delete(dir.resolve("chat_template.jinja"));

        String named = "{\"eos_token\": \"</s>\", \"bos_token\": \"<s>\", \"chat_template\": [{\"name\": \"tool_use\", "
                + "\"template\": \"{{ 'x' }}\"}, {\"name\": \"default\", \"template\": "
                + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(KnownChatTemplates.LLAMA2) + "}]}";
        Files.writeString(dir.resolve("tokenizer_config.json"), named);
        assertEquals("Llama 2 [INST]", ChatTemplates.recognise(TokenizerConfigFile.read(dir)).family());
    }

    @Test
    void instTemplatesRefuseWhatTheirJinjaWouldRaiseOn() throws Exception {
        ChatTemplate v01 = recognise(KnownChatTemplates.MISTRAL_V0_1, "<s>", "</s>");
        ChatTemplateException system = assertThrows(ChatTemplateException.class, () -> v01.render(WITH_SYSTEM));
        assertEquals("messages[0].role", system.field());
        assertTrue(system.getMessage().contains("takes no system message"), system.getMessage());
        ChatTemplate llama2 = recognise(KnownChatTemplates.LLAMA2, "<s>", "</s>");
        ChatTemplateException order = assertThrows(ChatTemplateException.class,
                () -> llama2.render(List.of(system("s"), user("a"), user("b"), assistant("c"))));
        assertEquals("messages[2].role", order.field());
        assertTrue(order.getMessage().contains("alternate"), order.getMessage());
        assertThrows(ChatTemplateException.class, () -> llama2.render(List.of(assistant("a"))));
    }
}
