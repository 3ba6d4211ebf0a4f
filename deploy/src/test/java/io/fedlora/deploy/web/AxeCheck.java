package io.fedlora.deploy.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Accessibility check with axe-core injected into the page under test. axe.min.js comes from the npm
 * package (pinned), fetched with {@code npm pack} into target/npm-axe on first use; without npm or its
 * registry the check skips, except under CI, where it fails.
 */
public final class AxeCheck {

    static final String PACKAGE = "axe-core@4.14.1";
    private static final Path CACHE = Path.of("target", "npm-axe");
    private static String script;

    private AxeCheck() {}

    /** Fails listing every serious or critical violation axe finds on the page now shown. */
    public static void assertNoSeriousViolations(HeadlessChromium browser, String page) throws Exception {
        browser.script(axeScript());
        Object answer = browser.asyncScript("""
                const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ['violations'] })
                  .then((r) => done(JSON.stringify(r.violations)))
                  .catch((e) => done(JSON.stringify({ error: String(e) })));
                """);
        JsonNode violations = new ObjectMapper().readTree(String.valueOf(answer));
        if (violations.has("error")) {
            throw new AssertionError("axe failed on " + page + ": " + violations.get("error").asText());
        }
        List<String> serious = new ArrayList<>();
        for (JsonNode v : violations) {
            String impact = v.path("impact").asText();
            if (impact.equals("serious") || impact.equals("critical")) {
                List<String> targets = new ArrayList<>();
                v.path("nodes").forEach(n -> targets.add(n.path("target").toString()));
                serious.add(impact + " " + v.path("id").asText() + ": " + v.path("help").asText() + " at " + targets);
            }
        }
        assertEquals(List.of(), serious, "accessibility violations on " + page);
    }

    private static synchronized String axeScript() throws IOException, InterruptedException {
        if (script != null) {
            return script;
        }
        Path out = CACHE.resolve("axe.min.js");
        if (!Files.isRegularFile(out)) {
            fetch(out);
        }
        script = Files.readString(out, StandardCharsets.UTF_8);
        return script;
    }

    private static void fetch(Path out) throws IOException, InterruptedException {
        Path work = Files.createDirectories(CACHE.resolve("partial"));
        String failure = run(work, List.of("npm", "pack", "--silent", PACKAGE));
        if (failure == null) {
            String tgz = "axe-core-" + PACKAGE.substring(PACKAGE.indexOf('@') + 1) + ".tgz";
            failure = run(work, List.of("tar", "xzf", tgz, "package/axe.min.js"));
        }
        if (failure != null) {
            if (System.getenv("CI") != null) {
                throw new IOException("under CI axe-core (" + PACKAGE + ") must be fetched with npm: " + failure);
            }
            assumeTrue(false, "skipped: the accessibility check needs npm and its registry (" + failure + ")");
        }
        Files.move(work.resolve("package/axe.min.js"), out, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Null when the command succeeded, else why not. */
    private static String run(Path dir, List<String> command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("out.log").toFile()).start();
            if (!p.waitFor(3, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return String.join(" ", command) + " took over 3 minutes";
            }
            return p.exitValue() == 0 ? null : String.join(" ", command) + " exited " + p.exitValue();
        } catch (IOException e) {
            return String.join(" ", command) + ": " + e.getMessage();
        }
    }
}
