package io.fedlora.deploy.doctor;

/** One thing {@code fedlora doctor} looks at on a node; it never throws, a failure is a result. */
public interface Check {

    /** Short, stable name (the first column of the report, the {@code name} field of {@code --json}). */
    String name();

    CheckResult run();
}
