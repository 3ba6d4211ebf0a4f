package io.fedlora.coordinator.store;

/**
 * One line of the append-only audit log: who did what, when, and how it ended. {@code seq} is
 * assigned by the store (0 before). Never holds a token, key or update.
 */
public record AuditRecord(long seq, long atUnixMs, String actor, String actorRole, String action, String target,
        String outcome, String detail) {

    public AuditRecord {
        target = target == null ? "" : target;
        detail = detail == null ? "" : detail;
    }
}
