package io.fedlora.deploy;

import static io.fedlora.deploy.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FedloraCliTest {

    @TempDir
    Path dir;

    @Test
    void everySubcommandHasHelp() {
        List<List<String>> paths = new ArrayList<>();
        collect(Fedlora.commandLine(), new ArrayList<>(), paths);
        assertTrue(paths.size() >= 15, "found " + paths);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            CliRun r = run(args.toArray(String[]::new));
            assertEquals(0, r.exit(), path + ": " + r.err());
            assertTrue(r.out().contains("Usage: fedlora"), path + " printed: " + r.out());
        }
    }

    private static void collect(CommandLine cl, List<String> prefix, List<List<String>> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            List<String> p = new ArrayList<>(prefix);
            p.add(e.getKey());
            out.add(p);
            collect(e.getValue(), p, out);
        }
    }

    @Test
    void privacyEpsilonPrintsItAsTheLastLine() {
        CliRun r = run("privacy", "epsilon", "--sampling-rate", "0.01", "--noise-multiplier", "1.1", "--steps", "1000",
                "--delta", "1e-5");
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        double eps = Double.parseDouble(lines[lines.length - 1].replace("epsilon=", ""));
        assertTrue(eps > 0.5 && eps < 5, r.out());
        CliRun noise = run("privacy", "noise", "--sampling-rate", "0.01", "--steps", "1000", "--delta", "1e-5",
                "--target-epsilon", Double.toString(eps));
        assertEquals(0, noise.exit(), noise.err());
        assertTrue(noise.out().strip().matches("(?s).*noise_multiplier=1\\.(09|10|11)\\d*"), noise.out());
    }

    @Test
    void badPrivacyParametersExitNonZeroAndSayWhich() {
        CliRun r = run("privacy", "epsilon", "--sampling-rate", "1.5", "--noise-multiplier", "1.1", "--steps", "10",
                "--delta", "1e-5");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("sampling rate"), r.err());
    }

    @Test
    void createJobWithAMissingModelNamesTheDirectory() {
        CliRun r = run("admin", "create-job", "--model", dir.resolve("nope").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("nope"), r.err());
    }

    @Test
    void createJobWithACorruptConfigNamesFileAndField() throws Exception {
        Path model = dir.resolve("m");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": -4}");
        CliRun r = run("admin", "create-job", "--model", model.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("config.json"), r.err());
    }

    /** Phi-3's fused modules: the Llama default q_proj,v_proj is refused with the modules Phi-3 has. */
    @Test
    void createJobForAPhi3ModelNamesItsLoraModules() throws Exception {
        io.fedlora.client.model.LlamaConfig phi3 = new io.fedlora.client.model.LlamaConfig("phi3", 16, 24, 1, 2, 1, 8,
                1e-5, 10000.0, io.fedlora.client.demo.CharTokenizerJson.vocabSize(io.fedlora.client.demo.DemoTask.ALPHABET),
                false, 64, false, 1, 2, 0);
        Path model = io.fedlora.client.demo.RandomModels.write(dir.resolve("phi3"), phi3, 1);
        CliRun r = run("admin", "create-job", "--model", model.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("'q_proj' is not a layer of phi3") && r.err().contains("qkv_proj, o_proj, gate_up_proj"),
                r.err());
    }

    @Test
    void clientWithABadDataLineNamesFileAndLine() throws Exception {
        Path data = dir.resolve("bad.jsonl");
        Files.writeString(data, "{\"instruction\":\"a\",\"output\":\"b\"}\n{\"instruction\":\"a\"}\n");
        CliRun r = run("client", "--coordinator", "127.0.0.1:1", "--model", Path.of("models/fedlora-tiny").toString(),
                "--data", data.toString(), "--state-dir", dir.resolve("s").toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("bad.jsonl") && r.err().contains("2") && r.err().contains("output"), r.err());
    }

    @Test
    void clientWithATruncatedModelFileNamesFileAndTensor() throws Exception {
        Path tiny = Path.of("models/fedlora-tiny");
        Path model = dir.resolve("truncated");
        Files.createDirectories(model);
        Files.copy(tiny.resolve("config.json"), model.resolve("config.json"));
        Files.copy(tiny.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
        byte[] weights = Files.readAllBytes(tiny.resolve("model.safetensors"));
        Files.write(model.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, 5000));
        Path data = dir.resolve("ok.jsonl");
        Files.writeString(data, "{\"instruction\":\"a\",\"output\":\"b\"}\n");
        CliRun r = run("client", "--coordinator", "127.0.0.1:1", "--model", model.toString(), "--data", data.toString(),
                "--state-dir", dir.resolve("s").toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("model.safetensors") && r.err().contains("model.embed_tokens.weight"), r.err());
    }

    /** Runs the CLI with System.out captured too (model score prints its result there). */
    private static CliRun runCapturingStdout(String... args) {
        java.io.PrintStream saved = System.out;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            CliRun r = run(args);
            return new CliRun(r.exit(), r.out() + bytes.toString(java.nio.charset.StandardCharsets.UTF_8), r.err());
        } finally {
            System.setOut(saved);
        }
    }

    /** The shipped tiny model plus a Mistral-style chat template. */
    private Path tinyModelWithChatTemplate() throws Exception {
        Path tiny = Path.of("models/fedlora-tiny");
        Path model = dir.resolve("with-chat-template");
        Files.createDirectories(model);
        for (String f : List.of("config.json", "tokenizer.json", "model.safetensors")) {
            Files.copy(tiny.resolve(f), model.resolve(f));
        }
        // A Mistral-style template: its <s> and </s> are the demo tokenizer's own special tokens.
        String template = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
                + "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
                + "{{ message['content'] + eos_token }}{% endif %}{% endfor %}";
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", "
                + "\"chat_template\": " + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(template) + "}");
        return model;
    }

    @Test
    void modelGenerateTakesAChatPromptThroughTheTemplate() throws Exception {
        Path model = tinyModelWithChatTemplate();
        CliRun chat = runCapturingStdout("model", "generate", "--model", model.toString(), "--chat", "--prompt",
                "next abc", "--max-new-tokens", "4");
        assertEquals(0, chat.exit(), chat.err());
        CliRun systemWithoutChat = runCapturingStdout("model", "generate", "--model", model.toString(), "--prompt", "x",
                "--system", "be brief");
        assertEquals(2, systemWithoutChat.exit(), systemWithoutChat.err());
        assertTrue(systemWithoutChat.err().contains("--system needs --chat"), systemWithoutChat.err());
        // This template silently drops a system message: refused, naming the message.
        CliRun refused = runCapturingStdout("model", "generate", "--model", model.toString(), "--chat", "--prompt", "x",
                "--system", "be brief");
        assertEquals(2, refused.exit(), refused.err());
        assertTrue(refused.err().contains("messages[0]: this model's chat template (tokenizer_config.json) leaves this "
                + "system message's content out"), refused.err());
        CliRun noTemplate = runCapturingStdout("model", "generate", "--model", "models/fedlora-tiny", "--chat",
                "--prompt", "x");
        assertEquals(2, noTemplate.exit(), noTemplate.err());
        assertTrue(noTemplate.err().contains("tokenizer_config.json: file not found"), noTemplate.err());
    }

    @Test
    void modelScoreTakesEveryDataForm() throws Exception {
        Path tiny = Path.of("models/fedlora-tiny");
        Path model = tinyModelWithChatTemplate();
        Path instruction = Files.writeString(dir.resolve("instruction.jsonl"),
                "{\"instruction\":\"next\",\"input\":\"abc\",\"output\":\"bcd\"}\n");
        Path chat = Files.writeString(dir.resolve("chat.jsonl"), "{\"messages\":[{\"role\":\"user\",\"content\":\"next abc\"},"
                + "{\"role\":\"assistant\",\"content\":\"bcd\"}]}\n");
        Path text = Files.writeString(dir.resolve("text.jsonl"), "{\"text\":\"next abc bcd\"}\n");
        for (Path data : List.of(instruction, chat, text)) {
            CliRun r = runCapturingStdout("model", "score", "--model", model.toString(), "--data", data.toString(),
                    "--json");
            assertEquals(0, r.exit(), data + ": " + r.err());
            assertTrue(r.out().contains("{\"examples\":1,\"tokens\":"), r.out());
        }

        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                + "{\"role\":\"bot\",\"content\":\"b\"}]}\n");
        CliRun r = runCapturingStdout("model", "score", "--model", model.toString(), "--data", bad.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains(bad + ":1: field 'messages[1].role': must be one of system/user/assistant"), r.err());
        CliRun noTemplate = runCapturingStdout("model", "score", "--model", tiny.toString(), "--data", chat.toString());
        assertEquals(2, noTemplate.exit(), noTemplate.err());
        assertTrue(noTemplate.err().contains("tokenizer_config.json: file not found"), noTemplate.err());
    }

    @Test
    void benchModelPrintsOneJsonObjectWithTheLoadRatio() throws Exception {
        Path ckpt = dir.resolve("bench-1m");
        CliRun r = runCapturingStdout("bench", "model", "--size", "1m", "--dtype", "f32", "--dir", ckpt.toString(),
                "--no-train", "--no-score", "--json");
        assertEquals(0, r.exit(), r.err());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out().strip());
        assertEquals("generated", json.get("checkpoint").asText());
        assertTrue(json.get("load").get("peak_ratio_to_f32").isNumber(), r.out());
        assertEquals(2, run("bench", "model", "--size", "7b").exit());
    }

    @Test
    void benchSecAggPrintsTheMeasuredRoundAndTheOneThreadBaseline() throws Exception {
        CliRun r = runCapturingStdout("bench", "secagg", "--clients", "12", "--params", "3000", "--dropout", "0.1",
                "--client-threads", "2", "--json");
        assertEquals(0, r.exit(), r.err());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out().strip());
        assertTrue(json.get("correct").asBoolean(), r.out());
        assertEquals(2, json.get("client_threads").asInt(), r.out());
        for (String field : new String[] {"client_ms", "client_ms_1_thread", "prg_floor_ms", "server_ms",
                "client_floor_ratio", "client_floor_ratio_1_thread", "server_floor_ms", "server_floor_ratio", "server_ms_1_thread"}) {
            assertTrue(json.get(field).asDouble() > 0, field + " in " + r.out());
        }
        assertEquals(12000, json.get("raw_bytes_per_client").asLong(), r.out());
    }

    @Test
    void unknownOptionIsAUsageError() {
        CliRun r = run("demo", "--clientz", "3");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--clientz"), r.err());
    }

    @Test
    void demoWithTooFewClientsIsRefusedAtOnceWithTheReason() {
        long start = System.nanoTime();
        CliRun r = run("demo", "--clients", "2", "--rounds", "1", "--work-dir", "target/demo-too-few");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("secure aggregation needs cohorts of at least 3, got 2"), r.err());
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "refused before any model loads");
    }

    @Test
    void demoKeepsRunningOnlyOneFederation() {
        CliRun r = run("demo", "--privacy", "all", "--keep-running", "--work-dir", "target/demo-keep-all");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--keep-running keeps one federation up"), r.err());
    }
}
