package io.fedlora.client.data;

/** The three JSONL record shapes; one file holds one of them. */
public enum DataForm {
    /** {@code instruction}, optional {@code input}, {@code output}: loss on the output (and EOS). */
    INSTRUCTION("instruction form (instruction/input/output)"),
    /** {@code messages} of {@code role}/{@code content}: loss on the assistant turns. */
    CHAT("chat form (messages)"),
    /** {@code text}: loss on every token. */
    TEXT("text form (text)");

    private final String description;

    DataForm(String description) {
        this.description = description;
    }

    /** How error messages name the form. */
    public String description() {
        return description;
    }
}
