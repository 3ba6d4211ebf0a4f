package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
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

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cli = Fedlora.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void everySubcommandHasHelp() {
        List<List<String>> paths = new ArrayList<>();
        collect(Fedlora.commandLine(), new ArrayList<>(), paths);
        assertTrue(paths.size() >= 15, "found " + paths);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            Run r = run(args.toArray(String[]::new));
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
        Run r = run("privacy", "epsilon", "--sampling-rate", "0.01", "--noise-multiplier", "1.1", "--steps", "1000",
                "--delta", "1e-5");
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        double eps = Double.parseDouble(lines[lines.length - 1].replace("epsilon=", ""));
        assertTrue(eps > 0.5 && eps < 5, r.out());
        Run noise = run("privacy", "noise", "--sampling-rate", "0.01", "--steps", "1000", "--delta", "1e-5",
                "--target-epsilon", Double.toString(eps));
        assertEquals(0, noise.exit(), noise.err());
        assertTrue(noise.out().strip().matches("(?s).*noise_multiplier=1\\.(09|10|11)\\d*"), noise.out());
    }

    @Test
    void badPrivacyParametersExitNonZeroAndSayWhich() {
        Run r = run("privacy", "epsilon", "--sampling-rate", "1.5", "--noise-multiplier", "1.1", "--steps", "10",
                "--delta", "1e-5");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("sampling rate"), r.err());
    }

    @Test
    void createJobWithAMissingModelNamesTheDirectory() {
        Run r = run("admin", "create-job", "--model", dir.resolve("nope").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("nope"), r.err());
    }

    @Test
    void createJobWithACorruptConfigNamesFileAndField() throws Exception {
        Path model = dir.resolve("m");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": -4}");
        Run r = run("admin", "create-job", "--model", model.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("config.json"), r.err());
    }

    @Test
    void clientWithABadDataLineNamesFileAndLine() throws Exception {
        Path data = dir.resolve("bad.jsonl");
        Files.writeString(data, "{\"instruction\":\"a\",\"output\":\"b\"}\n{\"instruction\":\"a\"}\n");
        Run r = run("client", "--coordinator", "127.0.0.1:1", "--model", Path.of("models/fedlora-tiny").toString(),
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
        Run r = run("client", "--coordinator", "127.0.0.1:1", "--model", model.toString(), "--data", data.toString(),
                "--state-dir", dir.resolve("s").toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("model.safetensors") && r.err().contains("model.embed_tokens.weight"), r.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        Run r = run("demo", "--clientz", "3");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--clientz"), r.err());
    }
}
