package io.fedlora.client.privacy;

/** A release would take this client past its privacy budget; nothing was recorded or released. */
public final class BudgetExceededException extends Exception {
    private static final long serialVersionUID = 1L;

    public BudgetExceededException(String reason) {
        super(reason);
    }
}
