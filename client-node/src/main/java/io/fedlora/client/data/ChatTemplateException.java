package io.fedlora.client.data;

/** A conversation the recognised chat template cannot render (e.g. roles that do not alternate). */
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
