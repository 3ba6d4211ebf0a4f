package io.fedlora.client.data;

import java.util.Objects;

/** One plain-text training record: every token carries loss. */
public record TextExample(String text) implements TrainingExample {

    public TextExample {
        Objects.requireNonNull(text, "text");
    }

    @Override
    public DataForm form() {
        return DataForm.TEXT;
    }

    /** No training text in logs or error messages: only its size. */
    @Override
    public String toString() {
        return "TextExample[" + text.length() + " chars]";
    }
}
