package io.fedlora.client.data;

/** A conversation the model's chat template refuses or cannot render, or whose trained text it hides. */
final class ChatTemplateException extends Exception {

    private final String field;

    /** {@code field} is the path in the record, e.g. {@code messages[3].role}. */
    ChatTemplateException(String field, String problem) {
        super(problem);
        this.field = field;
    }

    String field() {
        return field;
    }
}
