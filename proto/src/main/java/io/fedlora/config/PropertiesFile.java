package io.fedlora.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code key = value} file, one setting a line; {@code #} starts a comment line. Read by hand
 * rather than with {@link java.util.Properties} so that every value keeps its line number.
 */
final class PropertiesFile {

    /** The text of a value and the line it was on. */
    record Entry(String value, int line) {
    }

    private PropertiesFile() {
    }

    /** The file's entries by key; malformed lines and repeated keys go to {@code problems}. */
    static Map<String, Entry> read(Path file, List<String> problems) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            problems.add(file + ": cannot read the configuration file (" + e.getClass().getSimpleName() + ")");
            return Map.of();
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            int number = i + 1;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                problems.add(file + ":" + number + ": expected 'key = value'");
                continue;
            }
            String key = line.substring(0, eq).strip();
            Entry earlier = entries.putIfAbsent(key, new Entry(line.substring(eq + 1).strip(), number));
            if (earlier != null) {
                problems.add(file + ":" + number + ": " + key + " is already set on line " + earlier.line());
            }
        }
        return entries;
    }
}
