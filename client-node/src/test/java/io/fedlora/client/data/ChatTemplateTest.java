package io.fedlora.client.data;

import static io.fedlora.client.data.ChatMessage.assistant;
import static io.fedlora.client.data.ChatMessage.system;
import static io.fedlora.client.data.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.data.jinja.HuggingFaceJinja;
import io.fedlora.client.model.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Published chat templates run by the Jinja engine render exactly what transformers renders (the
 * expected texts were worked out from each template's Jinja source), with the trained parts where
 * {@link TrainedSpans} puts them; and every refusal names the template file and the message.
 */
class ChatTemplateTest {

    @TempDir
    Path dir;

    private static final List<ChatMessage> WITH_SYSTEM = List.of(system("Be brief."), user("Hi"), assistant("Hello!"),
            user("Bye"), assistant("See you."));
    private static final List<ChatMessage> NO_SYSTEM = WITH_SYSTEM.subList(1, WITH_SYSTEM.size());

    /** 6 Dec 2026, 10:00 UTC: what strftime_now sees. */
    static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2026-12-06T10:00:00Z"));

    private ChatTemplate load(String template, String bos, String eos) throws Exception {
        TinyTokenizerFiles.writeConfig(dir, template, bos, eos);
        return ChatTemplate.load(TokenizerConfigFile.read(dir), CLOCK);
    }

    private record Case(String name, String template, String bos, String eos, List<ChatMessage> messages,
            String text, List<String> trained) {}

    @Test
    void publishedTemplatesRenderExactlyAndTrainOnTheAssistantsText() throws Exception {
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
                new Case("Qwen2.5, system given", KnownChatTemplates.QWEN2_5, null, "<|im_end|>", WITH_SYSTEM,
                        "<|im_start|>system\nBe brief.<|im_end|>\n" + chatMlTurns, chatMlTrained),
                new Case("Qwen2.5, default system", KnownChatTemplates.QWEN2_5, null, "<|im_end|>", NO_SYSTEM,
                        qwenDefault + chatMlTurns, chatMlTrained),
                new Case("SmolLM2, default system", KnownChatTemplates.SMOLLM2, null, "<|im_end|>", NO_SYSTEM,
                        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                                + "<|im_end|>\n" + chatMlTurns, chatMlTrained),
                new Case("SmolLM2, system given", KnownChatTemplates.SMOLLM2, null, "<|im_end|>", WITH_SYSTEM,
                        "<|im_start|>system\nBe brief.<|im_end|>\n" + chatMlTurns, chatMlTrained),
                new Case("Llama 3", KnownChatTemplates.LLAMA3, "<|begin_of_text|>", "<|eot_id|>", padded,
                        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" + llama3Turns,
                        llama3Trained),
                new Case("Llama 3, no system", KnownChatTemplates.LLAMA3, "<|begin_of_text|>", "<|eot_id|>", NO_SYSTEM,
                        "<|begin_of_text|>" + llama3Turns, llama3Trained),
                new Case("Llama 3.1", KnownChatTemplates.LLAMA3_1, "<|begin_of_text|>", "<|eot_id|>", padded,
                        llama31Head + "Be brief.<|eot_id|>" + llama3Turns, llama3Trained),
                new Case("Llama 3.1, no system", KnownChatTemplates.LLAMA3_1, "<|begin_of_text|>", "<|eot_id|>",
                        NO_SYSTEM, llama31Head + "<|eot_id|>" + llama3Turns, llama3Trained),
                new Case("Llama 3.2 (today's date from strftime_now)", KnownChatTemplates.LLAMA3_2, "<|begin_of_text|>",
                        "<|eot_id|>", NO_SYSTEM, llama31Head.replace("26 Jul 2024", "06 Dec 2026") + "<|eot_id|>"
                                + llama3Turns, llama3Trained),
                new Case("Gemma 2 (trims contents)", KnownChatTemplates.GEMMA2, "<bos>", "<eos>", padded.subList(1, 5),
                        "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                                + "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\nSee you.<end_of_turn>\n",
                        List.of("Hello!<end_of_turn>", "See you.<end_of_turn>")),
                new Case("Phi-3 style (EOS after the last turn)", KnownChatTemplates.PHI3_STYLE, "<s>", "<|endoftext|>",
                        WITH_SYSTEM, "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n"
                                + "<|user|>\nBye<|end|>\n<|assistant|>\nSee you.<|end|>\n<|endoftext|>",
                        List.of("Hello!<|end|>", "See you.<|end|>\n<|endoftext|>")),
                new Case("DeepSeek-R1 style (history without reasoning)", KnownChatTemplates.DEEPSEEK_R1_STYLE, "<bos>",
                        "<eos>", List.of(system("Be brief."), user("Hi"), assistant("<think>\nhm\n</think>\n\nHello!"),
                                user("Bye"), assistant("<think>\nok\n</think>See you.")),
                        "<bos>Be brief.<\uFF5CUser\uFF5C>Hi<\uFF5CAssistant\uFF5C>\n\nHello!<eos><\uFF5CUser\uFF5C>Bye"
                                + "<\uFF5CAssistant\uFF5C>See you.<eos>", List.of("\n\nHello!<eos>", "See you.<eos>")),
                new Case("Mistral v7 style", KnownChatTemplates.MISTRAL_V7_STYLE, "<s>", "</s>", WITH_SYSTEM,
                        "<s>[SYSTEM_PROMPT]Be brief.[/SYSTEM_PROMPT][INST]Hi[/INST]Hello!</s>[INST]Bye[/INST]See you.</s>",
                        List.of("Hello!</s>", "See you.</s>")),
                new Case("Qwen3-style ChatML", KnownChatTemplates.QWEN3_LIKE, null, "<|im_end|>", WITH_SYSTEM,
                        "<|im_start|>system\nBe brief.<|im_end|>\n" + chatMlTurns, chatMlTrained),
                new Case("Llama 2", KnownChatTemplates.LLAMA2, "<s>", "</s>", WITH_SYSTEM,
                        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST] See you. </s>",
                        List.of(" Hello! </s>", " See you. </s>")),
                new Case("Llama 2, no system", KnownChatTemplates.LLAMA2, "<s>", "</s>", NO_SYSTEM,
                        "<s>[INST] Hi [/INST] Hello! </s><s>[INST] Bye [/INST] See you. </s>",
                        List.of(" Hello! </s>", " See you. </s>")),
                new Case("Mistral v0.1", KnownChatTemplates.MISTRAL_V0_1, "<s>", "</s>", NO_SYSTEM,
                        "<s>[INST] Hi [/INST]Hello!</s> [INST] Bye [/INST]See you.</s> ",
                        List.of("Hello!</s>", "See you.</s>")),
                new Case("Mistral v0.2 early", KnownChatTemplates.MISTRAL_V0_2_EARLY, "<s>", "</s>", NO_SYSTEM,
                        "<s>[INST] Hi [/INST]Hello!</s>[INST] Bye [/INST]See you.</s>",
                        List.of("Hello!</s>", "See you.</s>")),
                new Case("Mistral v0.2", KnownChatTemplates.MISTRAL_V0_2, "<s>", "</s>", WITH_SYSTEM,
                        "<s> [INST] Be brief.\n\nHi [/INST] Hello!</s> [INST] Bye [/INST] See you.</s>",
                        List.of(" Hello!</s>", " See you.</s>")),
                new Case("Mistral v0.3 (trims the assistant)", KnownChatTemplates.MISTRAL_V0_3, "<s>", "</s>",
                        padded.subList(1, 5), "<s>[INST]  Hi[/INST] Hello!</s>[INST] Bye[/INST] See you.</s>",
                        List.of(" Hello!</s>", " See you.</s>")));
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            ChatText text;
            try {
                text = load(c.template(), c.bos(), c.eos()).conversation(c.messages());
            } catch (ChatTemplateException e) {
                failures.add(c.name() + ": " + e.field() + ": " + e.getMessage());
                continue;
            }
            if (!text.text().equals(c.text()) || !text.trainedParts().equals(c.trained())) {
                failures.add(c.name() + ": " + show(text.text()) + " trained " + text.trainedParts());
            }
        }
        assertEquals(List.of(), failures);
    }

    private static String show(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }

    @Test
    void llama31RendersToolsToolCallsAndToolResultsAsTransformersDoes() throws Exception {
        HuggingFaceJinja jinja = new HuggingFaceJinja(CLOCK);
        Map<String, Object> weather = ordered("type", "function", "function", ordered("name", "get_weather",
                "parameters", ordered("type", "object", "properties", ordered("city", ordered("type", "string")))));
        List<Map<String, Object>> messages = List.of(ordered("role", "user", "content", " Weather in Oslo?"),
                ordered("role", "assistant", "tool_calls", List.of(ordered("type", "function", "function",
                        ordered("name", "get_weather", "arguments", ordered("city", "Oslo"))))),
                ordered("role", "tool", "content", "sunny"));
        String out = jinja.render(jinja.parse(KnownChatTemplates.LLAMA3_1), Map.of("messages", messages, "tools",
                List.of(weather), "bos_token", "<|begin_of_text|>", "add_generation_prompt", true), false);
        String tool = "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n"
                + "        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n"
                + "                \"city\": {\n                    \"type\": \"string\"\n                }\n"
                + "            }\n        }\n    }\n}";
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON "
                + "for a function call with its proper arguments that best answers the given prompt.\n\n"
                + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its "
                + "value}.Do not use variables.\n\n" + tool + "\n\nWeather in Oslo?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": "
                + "{\"city\": \"Oslo\"}}<|eot_id|>"
                // A string is iterable in Python, so the template writes the result through tojson.
                + "<|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    @Test
    void generationBlocksSayWhatIsTrained() throws Exception {
        // SmolLM3-style: the block holds the content and the end-of-turn token, not the header.
        String template = "{% for m in messages %}{% if m.role == 'assistant' %}{{ '<|im_start|>assistant\\n' }}"
                + "{% generation %}{{ m.content + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}"
                + "{% else %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endif %}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        ChatTemplate t = load(template, null, "<|im_end|>");
        ChatText text = t.conversation(NO_SYSTEM);
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye"
                + "<|im_end|>\n<|im_start|>assistant\nSee you.<|im_end|>\n", text.text());
        assertEquals(List.of("Hello!<|im_end|>", "See you.<|im_end|>"), text.trainedParts());
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", t.prompt(NO_SYSTEM.subList(0, 1)));
    }

    @Test
    void qwen3TrainsTheReasoningOfTheLastTurnOnlyAsItsTemplateWritesIt() throws Exception {
        ChatTemplate t = load(RealTokenizerFiles.chatTemplate("qwen3"), null, "<|im_end|>");
        ChatText text = t.conversation(List.of(user("Hi"), assistant("<think>\nsay hello\n</think>\n\nHello!"),
                user("Bye"), assistant("<think>\nsay bye\n</think>\n\nSee you.")));
        // Earlier turns lose their reasoning, as Qwen3's template writes them; the last keeps it.
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n"
                + "Bye<|im_end|>\n<|im_start|>assistant\n<think>\nsay bye\n</think>\n\nSee you.<|im_end|>\n",
                text.text());
        assertEquals(List.of("Hello!<|im_end|>", "<think>\nsay bye\n</think>\n\nSee you.<|im_end|>"),
                text.trainedParts());
        // Without reasoning in the data the last turn still opens with an empty one, as at inference.
        assertEquals(List.of("<think>\n\n</think>\n\nHello!<|im_end|>"),
                t.conversation(List.of(user("Hi"), assistant("Hello!"))).trainedParts());
    }

    @Test
    void whatTheEngineCannotRunFailsAtLoadNamingTheFileAndLine() throws Exception {
        List<String> failures = new ArrayList<>();
        record Bad(String name, String template, String expected) {}
        for (Bad b : List.of(
                new Bad("unknown tag", "{{ bos_token }}\n{% frobnicate %}", "line 2: "),
                new Bad("unknown function", "{{ frobnicate(messages) }}", "'frobnicate'"),
                new Bad("unterminated", "{% for m in messages %}{{ m.content }}", "not something fedlora's Jinja engine"))) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> load(b.template(), "<s>", "</s>"),
                    b.name());
            String m = e.getMessage();
            if (!m.startsWith(dir.resolve("tokenizer_config.json") + ": field chat_template: ") || !m.contains(b.expected())) {
                failures.add(b.name() + ": " + m);
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void aConversationTheTemplateRefusesNamesTheTemplateFileAndTheMessage() throws Exception {
        ChatTemplate v01 = load(KnownChatTemplates.MISTRAL_V0_1, "<s>", "</s>");
        ChatTemplateException system = assertThrows(ChatTemplateException.class, () -> v01.conversation(WITH_SYSTEM));
        assertEquals("messages[0]", system.field());
        assertEquals("this model's chat template (tokenizer_config.json) refuses the conversation: Conversation roles "
                + "must alternate user/assistant/user/assistant/...", system.getMessage());
        ChatTemplate llama2 = load(KnownChatTemplates.LLAMA2, "<s>", "</s>");
        ChatTemplateException order = assertThrows(ChatTemplateException.class,
                () -> llama2.conversation(List.of(system("s"), user("a"), user("b"), assistant("c"))));
        assertEquals("messages[2]", order.field());
        assertTrue(order.getMessage().contains("alternate"), order.getMessage());
        // A template that silently leaves a message out would train on a conversation the data does not hold.
        ChatTemplate dropsSystem = load("{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}{{ '[INST] ' "
                + "+ m.content + ' [/INST]' }}{% elif m.role == 'assistant' %}{{ m.content + eos_token }}{% endif %}"
                + "{% endfor %}", "<s>", "</s>");
        ChatTemplateException dropped = assertThrows(ChatTemplateException.class,
                () -> dropsSystem.conversation(WITH_SYSTEM));
        assertEquals("messages[0]", dropped.field());
        assertEquals("this model's chat template (tokenizer_config.json) leaves this system message's content out of "
                + "the conversation", dropped.getMessage());
        // Mistral v0.3 (the revision testing loop.last) writes the system message only before a final user turn.
        ChatTemplateException v03 = assertThrows(ChatTemplateException.class,
                () -> load(KnownChatTemplates.MISTRAL_V0_3, "<s>", "</s>").conversation(WITH_SYSTEM));
        assertEquals("messages[0]", v03.field());
        assertTrue(v03.getMessage().contains("leaves this system message's content out"), v03.getMessage());
        ChatTemplateException reserved = assertThrows(ChatTemplateException.class,
                () -> dropsSystem.conversation(List.of(user("a"), assistant("b\uFDD0"))));
        assertEquals("messages[1].content", reserved.field());
    }

    @Test
    void missingTemplateNamesTheField() throws Exception {
        ModelFormatException noFile = assertThrows(ModelFormatException.class,
                () -> ChatTemplate.load(TokenizerConfigFile.read(dir), CLOCK));
        assertTrue(noFile.getMessage().contains("tokenizer_config.json: file not found"), noFile.getMessage());
        ModelFormatException noTemplate = assertThrows(ModelFormatException.class, () -> load(null, "<s>", "</s>"));
        assertTrue(noTemplate.getMessage().contains("tokenizer_config.json: field chat_template: absent"),
                noTemplate.getMessage());
    }

    @Test
    void templateMayComeFromChatTemplateJinjaOrANamedList() throws Exception {
        TinyTokenizerFiles.writeConfig(dir, null, null, "<|im_end|>");
        Files.writeString(dir.resolve("chat_template.jinja"), KnownChatTemplates.SMOLLM2);
        ChatTemplate jinja = ChatTemplate.load(TokenizerConfigFile.read(dir), CLOCK);
        assertEquals(List.of("Hello!<|im_end|>", "See you.<|im_end|>"), jinja.conversation(NO_SYSTEM).trainedParts());
        Files.writeString(dir.resolve("chat_template.jinja"), KnownChatTemplates.GEMMA2);
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.load(TokenizerConfigFile.read(dir), CLOCK).conversation(WITH_SYSTEM));
        assertEquals("this model's chat template (chat_template.jinja) refuses the conversation: System role not "
                + "supported", e.getMessage());
        Files.writeString(dir.resolve("chat_template.jinja"), "{% frobnicate %}");
        ModelFormatException bad = assertThrows(ModelFormatException.class,
                () -> ChatTemplate.load(TokenizerConfigFile.read(dir), CLOCK));
        assertTrue(bad.getMessage().startsWith(dir.resolve("chat_template.jinja") + ": line 1: "), bad.getMessage());
        Files.delete(dir.resolve("chat_template.jinja"));

        String named = "{\"eos_token\": \"</s>\", \"bos_token\": \"<s>\", \"chat_template\": [{\"name\": \"tool_use\", "
                + "\"template\": \"{{ 'x' }}\"}, {\"name\": \"default\", \"template\": "
                + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(KnownChatTemplates.LLAMA2) + "}]}";
        Files.writeString(dir.resolve("tokenizer_config.json"), named);
        assertEquals(List.of(" Hello! </s>", " See you. </s>"),
                ChatTemplate.load(TokenizerConfigFile.read(dir), CLOCK).conversation(WITH_SYSTEM).trainedParts());
    }
}
