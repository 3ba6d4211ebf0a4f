package io.fedlora.coordinator.store;

import java.util.List;

/** The append-only, hash-chained audit log. */
public interface AuditStore {

    /**
     * Appends to the audit log, chained to the entry before it (see {@link AuditChain}), and returns
     * the entry's sequence number. There is no update or delete.
     */
    long appendAudit(AuditRecord entry);

    /** Audit entries with {@code seq > afterSeq}, oldest first, at most {@code limit}, with their hashes. */
    List<AuditRecord> auditLog(long afterSeq, int limit);
}
