package io.fedlora.config;

import java.util.Map;
import java.util.Optional;

/** A resolved configuration: each setting's value and where it came from. */
public final class ConfigValues {

    record Value(Object value, Origin origin) {
    }

    private final Map<Setting<?>, Value> values;

    ConfigValues(Map<Setting<?>, Value> values) {
        this.values = Map.copyOf(values);
    }

    /** The value, or the default; empty when neither. */
    @SuppressWarnings("unchecked") // resolve stored a T parsed by the setting's own type
    public <T> Optional<T> find(Setting<T> s) {
        return Optional.ofNullable(values.get(s)).map(v -> (T) v.value());
    }

    /** The value of a setting that has a default or is required. */
    public <T> T get(Setting<T> s) {
        return find(s).orElseThrow(() -> new IllegalStateException(s.key() + " has no value and no default"));
    }

    /** Whether a source (file, environment, flag) set it, as opposed to its default. */
    public boolean isSet(Setting<?> s) {
        Value v = values.get(s);
        return v != null && v.origin() != Origin.DEFAULT;
    }

    public Optional<Origin> origin(Setting<?> s) {
        return Optional.ofNullable(values.get(s)).map(Value::origin);
    }
}
