package io.fedlora.coordinator.store;

/**
 * One line of the append-only audit log: who did what, when, and how it ended. {@code seq} is
 * assigned by the store (0 before). Never holds a token, key or update.
 *
 * <p>{@code previousHash} and {@code hash} chain the log (see {@link AuditChain}); both are set by
 * the store when it appends the entry and are empty before.
 */
public record AuditRecord(long seq, long atUnixMs, String actor, String actorRole, String action, String target,
        String outcome, String detail, String previousHash, String hash) {

    public AuditRecord {
        target = target == null ? "" : target;
        detail = detail == null ? "" : detail;
        previousHash = previousHash == null ? "" : previousHash;
        hash = hash == null ? "" : hash;
    }

    /** An entry not yet appended: no sequence number chosen by the store yet, no hashes. */
    public AuditRecord(long seq, long atUnixMs, String actor, String actorRole, String action, String target,
            String outcome, String detail) {
        this(seq, atUnixMs, actor, actorRole, action, target, outcome, detail, "", "");
    }

    /** This entry as appended: its sequence number and its place in the chain. */
    public AuditRecord chained(long seq, String previousHash, String hash) {
        return new AuditRecord(seq, atUnixMs, actor, actorRole, action, target, outcome, detail, previousHash, hash);
    }
}
