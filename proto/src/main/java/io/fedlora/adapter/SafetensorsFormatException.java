package io.fedlora.adapter;

import java.nio.file.Path;

/** A safetensors file that cannot be read; the message names the file and the tensor or field. */
public final class SafetensorsFormatException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(Path file, String what) {
        super(file + ": " + what);
    }

    public SafetensorsFormatException(String source, String what) {
        super(source + ": " + what);
    }
}
