package io.fedlora.deploy.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@code fedlora} subcommand running in its own JVM, with the current class path. Its output
 * goes to a log file; a line matching a predicate can be awaited (e.g. "listening on").
 */
public final class JavaProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    private final CompletableFuture<String> awaited = new CompletableFuture<>();
    private final Predicate<String> awaitedLine;

    private JavaProcess(String name, Process process, Path log, Predicate<String> awaitedLine) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.awaitedLine = awaitedLine;
    }

    /** Starts {@code fedlora ARGS} in a child JVM, logging to {@code log}. */
    public static JavaProcess start(String name, List<String> fedloraArgs, Path log, Predicate<String> awaitedLine)
            throws IOException {
        return start(name, List.of(), fedloraArgs, log, awaitedLine);
    }

    /** As {@link #start(String, List, Path, Predicate)}, with extra JVM options (a benchmark's -Xmx, GC log). */
    public static JavaProcess start(String name, List<String> jvmArgs, List<String> fedloraArgs, Path log,
            Predicate<String> awaitedLine) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xss4m");
        cmd.add("-XX:+UseSerialGC");
        cmd.addAll(jvmArgs);
        for (String p : List.of("ai.djl.offline", "ai.djl.default_engine", "fedlora.home")) {
            String v = System.getProperty(p);
            if (v != null) {
                cmd.add("-D" + p + "=" + v);
            }
        }
        cmd.add("-D" + ParentWatch.PARENT_PID + "=" + ProcessHandle.current().pid());
        // Several trainers share this machine's cores: one intra-op thread each avoids oversubscription.
        cmd.add("-Dai.djl.pytorch.num_threads=" + System.getProperty("fedlora.child.threads", "1"));
        cmd.add("-cp");
        // Tests point this at the packaged distribution (target/fedlora-deploy.jar, target/lib/*).
        cmd.add(System.getProperty("fedlora.classpath", System.getProperty("java.class.path")));
        cmd.add("io.fedlora.deploy.Fedlora");
        cmd.addAll(fedloraArgs);
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putIfAbsent("OMP_NUM_THREADS", "1");
        JavaProcess p = new JavaProcess(name, pb.start(), log, awaitedLine);
        p.pumpOutput();
        StopAtExit.register(p.process);
        return p;
    }

    /**
     * Asks every child still running to stop when this JVM exits (Ctrl-C, SIGTERM); a child whose parent
     * dies without running hooks stops itself ({@link ParentWatch}).
     */
    private static final class StopAtExit {
        private static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(StopAtExit::stopAll, "stop-child-processes"));
        }

        static void register(Process p) {
            LIVE.add(p);
            p.onExit().thenRun(() -> LIVE.remove(p));
        }

        private static void stopAll() {
            LIVE.forEach(Process::destroy);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            for (Process p : LIVE) {
                try {
                    if (!p.waitFor(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private void pumpOutput() {
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.println(line);
                    if (!awaited.isDone() && awaitedLine != null && awaitedLine.test(line)) {
                        awaited.complete(line);
                    }
                }
            } catch (IOException e) {
                awaited.completeExceptionally(e);
            }
            awaited.completeExceptionally(new IOException(name + " exited (" + exitDescription() + "); see " + log));
        }, name + "-output");
        t.setDaemon(true);
        t.start();
    }

    private String exitDescription() {
        try {
            return process.waitFor(2, TimeUnit.SECONDS) ? "exit code " + process.exitValue() : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** Waits for the awaited line and returns it; fails if the process exits first. */
    public String awaitLine(Duration timeout) throws Exception {
        return awaited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Waits up to {@code timeout} for the process to exit: its exit code, or empty if it is still running. */
    public java.util.OptionalInt waitForExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
    }

    /** Kills the process at once, as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Asks the process to stop (SIGTERM), then kills it after the timeout. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
