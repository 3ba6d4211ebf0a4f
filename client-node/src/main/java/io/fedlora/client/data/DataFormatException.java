package io.fedlora.client.data;

import java.io.IOException;
import java.nio.file.Path;

/** A training data record that cannot be used; names the file, the 1-based line and the field (never the content). */
public class DataFormatException extends IOException {

    private final transient Path file;
    private final long line;
    private final String field;

    public DataFormatException(Path file, long line, String field, String problem) {
        super(file + ":" + line + ": " + (field == null ? "" : "field '" + field + "': ") + problem);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public Path file() {
        return file;
    }

    public long line() {
        return line;
    }

    /** The offending field, or null when the line as a whole is bad. */
    public String field() {
        return field;
    }
}
