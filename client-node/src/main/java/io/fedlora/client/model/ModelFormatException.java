package io.fedlora.client.model;

import java.io.IOException;
import java.nio.file.Path;

/** A model directory file (config, weights, tokenizer) that cannot be used; the message names the file. */
public class ModelFormatException extends IOException {

    private final transient Path file;

    public ModelFormatException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
