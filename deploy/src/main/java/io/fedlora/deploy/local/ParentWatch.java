package io.fedlora.deploy.local;

import java.util.Optional;

/**
 * Ends a child process of the demo (or of a test) when the process that started it is gone, however it
 * went: a parent killed with SIGKILL runs no shutdown hook, and its coordinator and client processes
 * would otherwise train on for the rest of the run. {@link JavaProcess} passes the parent's pid.
 */
public final class ParentWatch {

    /** The system property holding the parent's pid. */
    public static final String PARENT_PID = "fedlora.parent.pid";

    private ParentWatch() {}

    /** If this process has a recorded parent, exits (running shutdown hooks) once that parent has exited. */
    public static void exitWhenParentExits() {
        String pid = System.getProperty(PARENT_PID);
        if (pid == null || pid.isBlank()) {
            return;
        }
        Optional<ProcessHandle> parent;
        try {
            parent = ProcessHandle.of(Long.parseLong(pid.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PARENT_PID + " must be a process id, got '" + pid + "'");
        }
        if (parent.isEmpty() || !parent.get().isAlive()) {
            stop(pid);
            return;
        }
        parent.get().onExit().thenRun(() -> stop(pid));
    }

    private static void stop(String pid) {
        System.err.println("fedlora: the process that started this one (pid " + pid + ") has exited; stopping");
        // Runtime.exit runs the shutdown hooks: a coordinator or client closes cleanly.
        Runtime.getRuntime().exit(3);
    }
}
