package io.fedlora.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * One configuration key, declared once: its name, type, default, rule and one-line doc. The flag
 * and the environment variable follow from the key ({@code dashboard.port} is {@code --dashboard-port}
 * and {@code FEDLORA_DASHBOARD_PORT}) unless the declaration names another flag. A secret is never
 * taken from the command line nor repeated in an error.
 */
public final class Setting<T> {

    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9]*([.-][a-z0-9]+)*");

    private final String key;
    private final ValueType<T> type;
    private final T defaultValue;
    private final String defaultText;
    private final String doc;
    private final Optional<String> flag;
    private final Optional<String> bareFlagValue;
    private final String paramLabel;
    private final boolean secret;
    private final boolean hidden;
    private final boolean required;
    private final Predicate<T> rule;
    private final String ruleText;
    private final List<String> fallbackEnv;

    private Setting(Builder<T> b) {
        key = b.key;
        type = b.type;
        defaultValue = b.defaultValue;
        defaultText = b.defaultText;
        doc = b.doc;
        secret = b.secret;
        // A secret on the command line is visible in ps: it gets a flag only where one is declared.
        String implied = secret ? "" : "--" + key.replace('.', '-');
        flag = Optional.of(b.flag != null ? b.flag : implied).filter(f -> !f.isEmpty());
        bareFlagValue = Optional.ofNullable(b.bareFlagValue);
        paramLabel = b.paramLabel;
        hidden = b.hidden;
        required = b.required;
        rule = b.rule;
        ruleText = b.ruleText;
        fallbackEnv = List.copyOf(b.fallbackEnv);
    }

    /** Starts a declaration; {@code key} is lower case, words joined by {@code -}, groups by {@code .}. */
    public static <T> Builder<T> define(String key, ValueType<T> type) {
        return new Builder<>(key, type);
    }

    public String key() {
        return key;
    }

    public ValueType<T> type() {
        return type;
    }

    /** The value when no source sets it; empty when the program works it out (see {@link #defaultText()}). */
    public Optional<T> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    /** The default as the docs say it: the formatted value, or a description of what the program does. */
    public String defaultText() {
        if (defaultText != null) {
            return defaultText;
        }
        return defaultValue == null ? "" : type.format(defaultValue);
    }

    public String doc() {
        return doc;
    }

    /** The command-line flag, e.g. {@code --dashboard-port}; a secret has one only if declared. */
    public Optional<String> flag() {
        return flag;
    }

    /** For a flag given without a value ({@code --no-dashboard}): the text it stands for. */
    public Optional<String> bareFlagValue() {
        return bareFlagValue;
    }

    public String paramLabel() {
        return paramLabel;
    }

    /** {@code FEDLORA_} and the key in upper case, {@code .} and {@code -} as {@code _}. */
    public String envVar() {
        return "FEDLORA_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Variables read after {@link #envVar()} when it is unset, e.g. {@code AWS_REGION}. */
    public List<String> fallbackEnv() {
        return fallbackEnv;
    }

    public boolean secret() {
        return secret;
    }

    /** Left out of {@code --help} and the docs (test hooks). */
    public boolean hidden() {
        return hidden;
    }

    public boolean required() {
        return required;
    }

    /** Null when the value keeps the rule, else the rule it breaks. */
    String broken(T value) {
        return rule.test(value) ? null : ruleText;
    }

    @Override
    public String toString() {
        return key;
    }

    public static final class Builder<T> {
        private final String key;
        private final ValueType<T> type;
        private T defaultValue;
        private String defaultText;
        private String doc;
        private String flag;
        private String bareFlagValue;
        private String paramLabel;
        private boolean secret;
        private boolean hidden;
        private boolean required;
        private Predicate<T> rule = v -> true;
        private String ruleText = "";
        private List<String> fallbackEnv = List.of();

        private Builder(String key, ValueType<T> type) {
            if (key == null || !KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("bad setting key '" + key + "'");
            }
            this.key = key;
            this.type = Objects.requireNonNull(type, "type");
            this.paramLabel = type.name().toUpperCase(Locale.ROOT).replace(' ', '_');
        }

        public Builder<T> defaultValue(T v) {
            defaultValue = v;
            return this;
        }

        /** How the docs describe a default the program works out, e.g. "the --host". */
        public Builder<T> defaultText(String v) {
            defaultText = v;
            return this;
        }

        public Builder<T> doc(String v) {
            doc = v;
            return this;
        }

        /** A flag other than the one the key implies; {@code ""} for none. */
        public Builder<T> flag(String v) {
            flag = v;
            return this;
        }

        /** The flag takes no value and stands for {@code value} ({@code --insecure-transport}: "true"). */
        public Builder<T> bareFlag(String value) {
            bareFlagValue = value;
            return this;
        }

        public Builder<T> paramLabel(String v) {
            paramLabel = v;
            return this;
        }

        public Builder<T> secret() {
            secret = true;
            return this;
        }

        public Builder<T> hidden() {
            hidden = true;
            return this;
        }

        public Builder<T> required() {
            required = true;
            return this;
        }

        /** A rule every value must keep, and how the error states it ("must be at least 3"). */
        public Builder<T> check(Predicate<T> v, String text) {
            rule = Objects.requireNonNull(v);
            ruleText = Objects.requireNonNull(text);
            return this;
        }

        public Builder<T> fallbackEnv(String... names) {
            fallbackEnv = List.of(names);
            return this;
        }

        public Setting<T> build() {
            if (doc == null || doc.isBlank()) {
                throw new IllegalArgumentException(key + ": every setting needs a doc line");
            }
            if (defaultValue != null && !rule.test(defaultValue)) {
                throw new IllegalArgumentException(key + ": the default " + defaultValue + " " + ruleText);
            }
            return new Setting<>(this);
        }
    }
}
