package io.fedlora.config;

import java.util.List;

/** Every problem found in a configuration, each naming its key and where the value came from. */
public final class ConfigException extends IllegalArgumentException {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(message(problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }

    private static String message(List<String> problems) {
        if (problems.size() == 1) {
            return "invalid configuration: " + problems.get(0);
        }
        return "invalid configuration, " + problems.size() + " problems:\n  " + String.join("\n  ", problems);
    }
}
