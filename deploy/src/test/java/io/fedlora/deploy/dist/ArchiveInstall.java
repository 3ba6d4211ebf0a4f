package io.fedlora.deploy.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The release archive unpacked into an empty directory and its {@code bin/fedlora} run as an operator
 * would: with a Java runtime and a bare PATH (no Maven, no source tree, working directory outside the
 * checkout). Closing stops every process it started, newest first.
 */
final class ArchiveInstall implements AutoCloseable {

    private final Path home;
    private final Path work;
    private final Map<String, Process> running = new java.util.LinkedHashMap<>();

    private ArchiveInstall(Path home, Path work) {
        this.home = home;
        this.work = work;
    }

    /** The archive {@code mvn package} made, in {@code target/}. */
    static Path builtArchive() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            List<Path> found = files.filter(f -> f.getFileName().toString().matches("fedlora-.*\\.tar\\.gz")).toList();
            assertEquals(1, found.size(), "one release archive in target/ (run mvn package first): " + found);
            return found.get(0).toAbsolutePath();
        }
    }

    static ArchiveInstall unpack(Path archive, Path into) throws Exception {
        Path root = Files.createDirectories(into.resolve("install"));
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", root.toString())
                .redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tar.waitFor(60, TimeUnit.SECONDS) && tar.exitValue() == 0, "tar: " + out);
        try (Stream<Path> top = Files.list(root)) {
            Path home = top.findFirst().orElseThrow();
            return new ArchiveInstall(home, Files.createDirectories(into.resolve("work")));
        }
    }

    Path home() {
        return home;
    }

    Path work() {
        return work;
    }

    /** {@code bin/fedlora ARGS} in the background, its output in {@code work/logs/NAME.log}. */
    Process start(String name, List<String> args) throws IOException {
        return start(name, List.of(), args);
    }

    /** The same, run through {@code prefix} (e.g. {@code ip netns exec NS}). */
    Process start(String name, List<String> prefix, List<String> args) throws IOException {
        Path log = Files.createDirectories(work.resolve("logs")).resolve(name + ".log");
        Process p = builder(prefix, args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        running.put(name, p);
        return p;
    }

    Path log(String name) {
        return work.resolve("logs/" + name + ".log");
    }

    /** {@code bin/fedlora ARGS} to completion: its standard output; fails the test on a non-zero exit. */
    String run(List<String> args) throws Exception {
        return run(List.of(), args);
    }

    /** The same, run through {@code prefix}. */
    String run(List<String> prefix, List<String> args) throws Exception {
        Process p = builder(prefix, args).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "fedlora " + args + " did not finish");
        assertEquals(0, p.exitValue(), "fedlora " + args + " failed; printed: " + out);
        return out;
    }

    /** Waits until {@code name}'s log has a line containing {@code text}; returns that line. */
    String awaitLogLine(String name, String text, Duration within) throws Exception {
        return awaitLogLine(name, text, 1, within);
    }

    /** Waits until {@code name}'s log has {@code count} lines containing {@code text}; returns the last. */
    String awaitLogLine(String name, String text, int count, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Process p = running.get(name);
            boolean exited = p != null && !p.isAlive();
            if (Files.exists(log(name))) {
                int seen = 0;
                for (String line : Files.readAllLines(log(name), StandardCharsets.UTF_8)) {
                    if (line.contains(text) && ++seen == count) {
                        return line;
                    }
                }
            }
            if (exited) {
                throw new AssertionError(name + " exited (" + p.exitValue() + ") before logging '" + text + "'"
                        + (count > 1 ? " " + count + " times" : "") + "; its log ends:\n" + logTail(name));
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " never logged '" + text + "'" + (count > 1 ? " " + count + " times" : "")
                + " within " + within.toSeconds() + " s; its log ends:\n" + logTail(name));
    }

    /** The last lines of {@code name}'s log: where a stuck process was when a wait gave up. */
    String logTail(String name) throws IOException {
        if (!Files.exists(log(name))) {
            return "(no log)";
        }
        List<String> lines = Files.readAllLines(log(name), StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** Copies every process's log to {@code target} (kept after the temporary install is deleted). */
    void keepLogs(Path target) throws IOException {
        Path logs = work.resolve("logs");
        if (Files.isDirectory(logs)) {
            Files.createDirectories(target);
            try (var files = Files.list(logs)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.copy(f, target.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private ProcessBuilder builder(List<String> prefix, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(home.resolve("bin/fedlora").toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        Map<String, String> env = pb.environment();
        String djlCache = env.get("DJL_CACHE_DIR");
        env.clear();
        // Only what the launcher itself calls: no mvn, no source tree on PATH.
        env.put("PATH", barePath().toString());
        env.put("HOME", work.toString());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        if (djlCache != null) {
            env.put("DJL_CACHE_DIR", djlCache); // the build's libtorch cache, to skip a 430 MB unpack
        }
        return pb;
    }

    private Path barePath() throws IOException {
        Path bin = work.resolve("path");
        if (!Files.isDirectory(bin)) {
            Files.createDirectories(bin);
            for (String tool : List.of("dirname", "readlink")) {
                for (String dir : List.of("/usr/bin", "/bin")) {
                    if (Files.isExecutable(Path.of(dir, tool))) {
                        Files.createSymbolicLink(bin.resolve(tool), Path.of(dir, tool));
                        break;
                    }
                }
            }
        }
        return bin;
    }

    @Override
    public void close() throws InterruptedException {
        List<Process> started = new ArrayList<>(running.values());
        for (int i = started.size() - 1; i >= 0; i--) {
            Process p = started.get(i);
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
