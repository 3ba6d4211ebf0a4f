package io.fedlora.coordinator.metrics;

/**
 * A round's abort reason as a metric tag: a few fixed values, since the stored reason is free
 * text with counts and ids in it (one series per text would grow without bound).
 */
final class AbortReason {

    static final String SHUTDOWN = "shutdown";
    static final String CANCELLED = "cancelled";
    static final String TOO_FEW_NODES = "too_few_nodes";
    static final String SECURE_AGGREGATION = "secure_aggregation";
    static final String OTHER = "other";

    private AbortReason() { }

    static String of(String reason) {
        if (reason.contains("shutting down") || reason.contains("restarted")) {
            return SHUTDOWN;
        }
        if (reason.startsWith("job ")) {
            return CANCELLED;
        }
        if (reason.contains("only ") && reason.contains("selected nodes")) {
            return TOO_FEW_NODES;
        }
        if (reason.startsWith("secure aggregation")) {
            return SECURE_AGGREGATION;
        }
        return OTHER;
    }
}
