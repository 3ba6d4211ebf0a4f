package io.fedlora.deploy.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParentWatchTest {

    @TempDir
    Path dir;

    private Process fedlora(long parentPid, Path log, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-D" + ParentWatch.PARENT_PID + "=" + parentPid, "-cp", System.getProperty("java.class.path"),
                "io.fedlora.deploy.Fedlora"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** A parent killed with SIGKILL runs no hook: its coordinator must notice by itself and stop. */
    @Test
    void aCoordinatorStopsWhenItsParentIsKilled() throws Exception {
        Process parent = new ProcessBuilder("sleep", "300").start();
        Path log = dir.resolve("coordinator.log");
        Process child = fedlora(parent.pid(), log, "coordinator", "--data-dir", dir.resolve("data").toString(),
                "--port", "0");
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!read(log).contains("coordinator listening on") && System.nanoTime() < until) {
                assertTrue(child.isAlive(), () -> "coordinator exited early: " + read(log));
                Thread.sleep(100);
            }
            assertTrue(child.isAlive(), () -> read(log));
            parent.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), () -> "still running after its parent died: " + read(log));
            assertEquals(3, child.exitValue(), () -> read(log));
            assertTrue(read(log).contains("(pid " + parent.pid() + ") has exited; stopping"), () -> read(log));
        } finally {
            parent.destroyForcibly();
            child.destroyForcibly();
        }
    }

    @Test
    void aParentAlreadyGoneStopsTheChildAtOnce() throws Exception {
        Process parent = new ProcessBuilder("true").start();
        parent.waitFor();
        Path log = dir.resolve("coordinator.log");
        Process child = fedlora(parent.pid(), log, "coordinator", "--data-dir", dir.resolve("data").toString(),
                "--port", "0");
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), () -> read(log));
        assertEquals(3, child.exitValue(), () -> read(log));
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (java.io.IOException e) {
            return "(unreadable log: " + e + ")";
        }
    }
}
