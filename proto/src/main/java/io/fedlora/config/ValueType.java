package io.fedlora.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * How a setting's text becomes a value. {@link #parse} throws {@link IllegalArgumentException}
 * with a message that does not repeat the text (the caller adds it unless the setting is secret).
 * Only {@link #STRING} and lists accept blank text.
 *
 * @param name what the docs call the type, e.g. {@code integer}
 * @param parser text to value; never sees null or blank text
 * @param formatter value to text, for defaults in the docs and {@code --help}
 */
public record ValueType<T>(String name, Function<String, T> parser, Function<T, String> formatter) {

    private static final String LIST_OF = "list of ";

    public static final ValueType<String> STRING = of("string", s -> s);
    public static final ValueType<Path> PATH = of("path", ValueType::path);
    public static final ValueType<URI> URL = of("URL", ValueType::url);
    public static final ValueType<Integer> INTEGER = of("integer", s -> number(s, Integer::valueOf, "an integer"));
    public static final ValueType<Long> LONG = of("integer", s -> number(s, Long::valueOf, "an integer"));
    public static final ValueType<Double> DECIMAL = new ValueType<>("number", s -> number(s, Double::valueOf,
            "a number"), d -> java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString());
    public static final ValueType<Boolean> BOOLEAN = of("boolean", ValueType::bool);
    public static final ValueType<Integer> PORT = of("port", s -> {
        int p = number(s, Integer::valueOf, "a port number");
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("must be a port number in 0..65535");
        }
        return p;
    });
    /** Comma-separated; on the command line the flag may also be repeated. */
    public static final ValueType<List<String>> STRINGS = list(STRING);

    public ValueType {
        if (name == null || parser == null || formatter == null) {
            throw new IllegalArgumentException("name, parser and formatter are required");
        }
    }

    /** A type printed with {@code toString()}. */
    public static <T> ValueType<T> of(String name, Function<String, T> parser) {
        return new ValueType<>(name, parser, String::valueOf);
    }

    /** A comma-separated list of {@code element}, blanks around commas ignored. */
    public static <T> ValueType<List<T>> list(ValueType<T> element) {
        return new ValueType<>(LIST_OF + element.name(), s -> {
            List<T> out = new ArrayList<>();
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    out.add(element.parse(part.strip()));
                }
            }
            return List.copyOf(out);
        }, l -> String.join(",", l.stream().map(element.formatter()).toList()));
    }

    /** Made by {@link #list}: its flag may be repeated. */
    public boolean isList() {
        return name.startsWith(LIST_OF);
    }

    public T parse(String text) {
        return parser.apply(text);
    }

    public String format(T value) {
        return formatter.apply(value);
    }

    private static <N> N number(String s, Function<String, N> parse, String what) {
        try {
            return parse.apply(s.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be " + what);
        }
    }

    private static boolean bool(String s) {
        return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        };
    }

    private static Path path(String s) {
        if (s.isBlank()) {
            throw new IllegalArgumentException("must be a file path");
        }
        try {
            return Path.of(s.strip());
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("must be a file path");
        }
    }

    private static URI url(String s) {
        try {
            URI u = new URI(s.strip());
            if (u.getScheme() == null) {
                throw new IllegalArgumentException("must be a URL with a scheme, e.g. http://host:4318");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("must be a URL");
        }
    }
}
