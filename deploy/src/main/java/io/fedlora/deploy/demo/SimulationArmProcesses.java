package io.fedlora.deploy.demo;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.adapter.AtomicFiles;
import io.fedlora.client.demo.ManyClientSimulation;
import io.fedlora.client.demo.ManyClientSimulation.Privacy;
import io.fedlora.deploy.local.JavaProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Runs the two runs of a {@link ManyClientSimulation} (the non-private baseline and client-level DP) at
 * the same time, each in its own JVM ({@code fedlora demo --privacy client-sim --sim-arm ...}). One JVM
 * trains one client at a time (one gradient collector per JVM), so with two cores this halves the wall
 * time; each child has one PyTorch thread. The children read the settings from a file and write their
 * results to one; their progress lines are echoed as they come.
 */
public final class SimulationArmProcesses {

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);
    private static final Duration POLL = Duration.ofMillis(500);

    private SimulationArmProcesses() {}

    /** The argument of {@code --sim-arm} for a run. */
    public static String armName(Privacy p) {
        return p == Privacy.NONE ? "none" : "client-dp";
    }

    public static Privacy arm(String name) {
        return switch (name) {
            case "none" -> Privacy.NONE;
            case "client-dp" -> Privacy.CLIENT_DP;
            default -> throw new IllegalArgumentException("--sim-arm must be none or client-dp, got '" + name + "'");
        };
    }

    /** What a child writes for its parent: the run's result as JSON, written atomically. */
    public static void writeResult(ManyClientSimulation.Result r, Path file) throws IOException {
        AtomicFiles.writeString(file, JSON.writeValueAsString(r));
    }

    static ManyClientSimulation.Result readResult(Path file) throws IOException {
        return JSON.readValue(file.toFile(), ManyClientSimulation.Result.class);
    }

    /** The settings a child runs with (all of them, not only what the command line can say). */
    public static ManyClientSimulation.Settings readSettings(Path file) throws IOException {
        return JSON.readValue(file.toFile(), ManyClientSimulation.Settings.class);
    }

    /** Both runs in two child processes; their logs and results go under {@code workDir}. */
    public static ManyClientSimulation.Comparison run(ManyClientSimulation.Settings s, Path workDir, PrintStream out)
            throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path settings = workDir.resolve("client-sim-settings.json");
        AtomicFiles.writeString(settings, JSON.writeValueAsString(s));
        List<Child> children = new ArrayList<>();
        try {
            for (Privacy p : List.of(Privacy.NONE, Privacy.CLIENT_DP)) {
                children.add(Child.start(p, settings, workDir));
            }
            out.printf(Locale.ROOT, "the two runs train side by side in processes %d and %d (logs in %s)%n",
                    children.get(0).process.pid(), children.get(1).process.pid(), workDir);
            boolean running = true;
            while (running) {
                running = false;
                for (Child c : children) {
                    running |= c.step(out);
                }
            }
            return new ManyClientSimulation.Comparison(children.get(0).result(), children.get(1).result());
        } finally {
            for (Child c : children) {
                c.process.close();
            }
        }
    }

    /** One run's process, the part of its log already echoed, and its exit code once it has one. */
    private static final class Child {
        private final Privacy privacy;
        private final JavaProcess process;
        private final Path resultFile;
        private long echoed;
        private OptionalInt exit = OptionalInt.empty();

        private Child(Privacy privacy, JavaProcess process, Path resultFile) {
            this.privacy = privacy;
            this.process = process;
            this.resultFile = resultFile;
        }

        static Child start(Privacy p, Path settings, Path workDir) throws IOException {
            String name = "client-sim-" + armName(p);
            Path result = workDir.resolve(name + ".json");
            Files.deleteIfExists(result);
            List<String> args = List.of("demo", "--privacy", "client-sim", "--sim-arm", armName(p), "--sim-settings",
                    settings.toString(), "--sim-result-out", result.toString());
            return new Child(p, JavaProcess.start(name, args, workDir.resolve(name + ".log"), null), result);
        }

        /** Echoes new progress lines, waiting a little; false once the process has exited and all is echoed. */
        boolean step(PrintStream out) throws IOException, InterruptedException {
            if (exit.isEmpty()) {
                exit = process.waitForExit(POLL);
            }
            echo(out);
            return exit.isEmpty();
        }

        private void echo(PrintStream out) throws IOException {
            if (!Files.exists(process.log())) {
                return;
            }
            try (RandomAccessFile f = new RandomAccessFile(process.log().toFile(), "r")) {
                if (f.length() <= echoed) {
                    return;
                }
                byte[] bytes = new byte[(int) Math.min(f.length() - echoed, 1 << 20)];
                f.seek(echoed);
                f.readFully(bytes);
                int end = lastNewline(bytes);
                if (end < 0) {
                    return; // a line still being written
                }
                echoed += end + 1;
                for (String line : new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n")) {
                    if (line.startsWith("non-private") || line.startsWith("client-level DP")) {
                        out.println(line);
                    }
                }
            }
        }

        private static int lastNewline(byte[] b) {
            for (int i = b.length - 1; i >= 0; i--) {
                if (b[i] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        ManyClientSimulation.Result result() throws IOException {
            int code = exit.orElse(-1);
            if (code != 0 || !Files.exists(resultFile)) {
                throw new IOException("the " + (privacy == Privacy.NONE ? "non-private" : "client-level DP")
                        + " simulation run failed (exit code " + code + "); see " + process.log());
            }
            return readResult(resultFile);
        }
    }
}
