package io.fedlora.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings of one program, and the rules between them. {@link #resolve} reads a config file,
 * the environment and the command line, in that order of precedence, and reports every problem at
 * once.
 */
public final class ConfigDef {

    /** A rule between settings: the problem it finds, if any. */
    @FunctionalInterface
    public interface Rule {
        Optional<String> check(ConfigValues values);
    }

    private final String program;
    private final Map<String, Setting<?>> settings;
    private final List<Rule> rules;
    private final boolean readsEnvironment;

    private ConfigDef(String program, Map<String, Setting<?>> settings, List<Rule> rules, boolean readsEnvironment) {
        this.program = program;
        this.settings = settings;
        this.rules = rules;
        this.readsEnvironment = readsEnvironment;
    }

    public static Builder of(String program) {
        return new Builder(program);
    }

    /** The command these settings belong to, e.g. {@code fedlora coordinator}. */
    public String program() {
        return program;
    }

    /** In declaration order. */
    public List<Setting<?>> settings() {
        return List.copyOf(settings.values());
    }

    public Optional<Setting<?>> setting(String key) {
        return Optional.ofNullable(settings.get(key));
    }

    /** False for a one-off command's settings (a job's), which come from its file and flags only. */
    public boolean readsEnvironment() {
        return readsEnvironment;
    }

    /** Where a value for {@code s} may be given, for messages: its flag, its variable, a file line. */
    private String sources(Setting<?> s) {
        String env = readsEnvironment ? s.envVar() + " or " : "";
        return s.flag().map(f -> f + ", ").orElse("") + env + "'" + s.key() + " = ...' in the --config file";
    }

    /**
     * The configuration from these sources, each above the one before: defaults, {@code file}
     * ({@code key = value}), {@code env} ({@code FEDLORA_KEY}; ignored {@link Builder#withoutEnvironment()
     * without environment}), {@code flags} (raw text by key).
     *
     * @throws ConfigException naming every problem, each with its key and where its value came from
     */
    public ConfigValues resolve(Optional<Path> file, Map<String, String> env, Map<String, String> flags) {
        List<String> problems = new ArrayList<>();
        Map<String, Raw> raw = new HashMap<>();
        file.ifPresent(f -> PropertiesFile.read(f, problems).forEach((key, entry) -> {
            if (!settings.containsKey(key)) {
                problems.add(f + ":" + entry.line() + ": unknown key '" + key + "'");
            } else {
                raw.put(key, new Raw(entry.value(), Origin.file(f, entry.line())));
            }
        }));
        for (Setting<?> s : readsEnvironment ? settings.values() : List.<Setting<?>>of()) {
            fromEnv(s, env).ifPresent(r -> raw.put(s.key(), r));
        }
        flags.forEach((key, text) -> {
            Setting<?> s = settings.get(key);
            if (s == null || s.flag().isEmpty()) {
                throw new IllegalArgumentException("no flag is declared for " + key);
            }
            raw.put(key, new Raw(text, Origin.flag(s.flag().get())));
        });
        Map<Setting<?>, ConfigValues.Value> values = new LinkedHashMap<>();
        for (Setting<?> s : settings.values()) {
            Raw r = raw.get(s.key());
            if (r != null) {
                parse(s, r, problems).ifPresent(v -> values.put(s, v));
            } else if (s.defaultValue().isPresent()) {
                values.put(s, new ConfigValues.Value(s.defaultValue().get(), Origin.DEFAULT));
            } else if (s.required()) {
                problems.add(s.key() + ": required; set " + sources(s));
            }
        }
        ConfigValues resolved = new ConfigValues(values);
        for (Rule rule : rules) {
            rule.check(resolved).ifPresent(problems::add);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return resolved;
    }

    private record Raw(String text, Origin origin) {
    }

    private static Optional<Raw> fromEnv(Setting<?> s, Map<String, String> env) {
        List<String> names = new ArrayList<>();
        names.add(s.envVar());
        names.addAll(s.fallbackEnv());
        for (String name : names) {
            String v = env.get(name);
            // An empty variable (NAME= in a systemd EnvironmentFile) reads as unset.
            if (v != null && !v.isBlank()) {
                return Optional.of(new Raw(v, Origin.env(name)));
            }
        }
        return Optional.empty();
    }

    private static <T> Optional<ConfigValues.Value> parse(Setting<T> s, Raw r, List<String> problems) {
        String shown = s.secret() ? "" : ", got '" + r.text() + "'";
        T v;
        try {
            v = s.type().parse(r.text());
        } catch (IllegalArgumentException e) {
            problems.add(s.key() + ": " + e.getMessage() + shown + " (" + r.origin() + ")");
            return Optional.empty();
        }
        String broken = s.broken(v);
        if (broken != null) {
            problems.add(s.key() + ": " + broken + shown + " (" + r.origin() + ")");
            return Optional.empty();
        }
        return Optional.of(new ConfigValues.Value(v, r.origin()));
    }

    public static final class Builder {
        private final String program;
        private final Map<String, Setting<?>> settings = new LinkedHashMap<>();
        private final List<Rule> rules = new ArrayList<>();
        private boolean readsEnvironment = true;

        private Builder(String program) {
            this.program = program;
        }

        public Builder add(Setting<?>... more) {
            for (Setting<?> s : more) {
                if (settings.putIfAbsent(s.key(), s) != null) {
                    throw new IllegalArgumentException(program + ": " + s.key() + " is declared twice");
                }
            }
            return this;
        }

        /**
         * Values from the file and the flags only: a variable left in a service's environment must not
         * change every job an operator creates from that shell.
         */
        public Builder withoutEnvironment() {
            readsEnvironment = false;
            return this;
        }

        public Builder rule(Rule r) {
            rules.add(r);
            return this;
        }

        /** Both set or neither, e.g. a certificate and its key. */
        public Builder together(Setting<?> a, Setting<?> b) {
            return rule(v -> v.isSet(a) == v.isSet(b) ? Optional.empty()
                    : Optional.of(name(a) + " and " + name(b) + " go together"));
        }

        public ConfigDef build() {
            List<String> flags = new ArrayList<>();
            for (Setting<?> s : settings.values()) {
                s.flag().ifPresent(f -> {
                    if (flags.contains(f)) {
                        throw new IllegalArgumentException(program + ": flag " + f + " is declared twice");
                    }
                    flags.add(f);
                });
            }
            return new ConfigDef(program, new LinkedHashMap<>(settings), List.copyOf(rules), readsEnvironment);
        }
    }

    /** How a message names a setting: its flag, which most operators know, else its key. */
    public static String name(Setting<?> s) {
        return s.flag().orElse(s.key());
    }
}
