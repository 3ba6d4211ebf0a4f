package io.fedlora.client.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/** String fields of one JSONL record, with errors that name file, line and field path (never the value). */
final class JsonFields {

    private final Path file;
    private final long line;

    JsonFields(Path file, long line) {
        this.file = file;
        this.line = line;
    }

    /** {@code parent[key]} as a string; {@code path} is how the error names it (e.g. {@code messages[2].content}). */
    String required(JsonNode parent, String key, String path) throws DataFormatException {
        JsonNode v = parent.get(key);
        if (v == null || v.isNull()) {
            throw error(path, "missing");
        }
        return text(v, path);
    }

    /** Like {@link #required} but absent or null reads as the empty string. */
    String optional(JsonNode parent, String key, String path) throws DataFormatException {
        JsonNode v = parent.get(key);
        return v == null || v.isNull() ? "" : text(v, path);
    }

    private String text(JsonNode v, String path) throws DataFormatException {
        if (!v.isTextual()) {
            throw error(path, "must be a string, got " + v.getNodeType());
        }
        return v.asText();
    }

    DataFormatException error(String path, String problem) {
        return new DataFormatException(file, line, path, problem);
    }
}
