package io.fedlora.deploy.install;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command-line tool from a system package that a test runs. Missing on a developer's machine, the
 * test is skipped with a message saying what to install; under CI (where {@code .ci/run} installs
 * it) a missing tool fails the test.
 */
record SystemTool(String command, String debianPackage) {

    /** The tool's path; skips or fails the calling test when it is not installed. */
    Path require() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String missing = command + " is not installed (apt-get install " + debianPackage + ")";
        if (System.getenv("CI") != null) {
            throw new AssertionError(missing + "; .ci/run installs it");
        }
        assumeTrue(false, missing + ": skipping");
        throw new IllegalStateException("unreachable");
    }

    /** Runs the tool with these arguments: exit code and everything it printed. */
    Output run(Path workDir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(require().toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), command + " did not finish");
        return new Output(p.exitValue(), out);
    }

    record Output(int exit, String text) {}
}
