package io.fedlora.config;

import java.nio.file.Path;

/** Where a setting's value came from, as an error message names it. */
public record Origin(String where) {

    public static final Origin DEFAULT = new Origin("default");

    public static Origin file(Path file, int line) {
        return new Origin(file + ":" + line);
    }

    public static Origin env(String variable) {
        return new Origin("environment variable " + variable);
    }

    public static Origin flag(String flag) {
        return new Origin("flag " + flag);
    }

    @Override
    public String toString() {
        return where;
    }
}
