package io.fedlora.coordinator.store;

/**
 * The coordinator's durable state, by concern: jobs and rounds, nodes, trust records, the audit log,
 * the active coordinator's lease.
 * Adapter bytes live in a {@link BlobStore}; this holds only their hashes. Implementations are
 * thread-safe. Never holds secrets or individual client updates. Open one with
 * {@link DatabaseSettings#open()}.
 */
public interface Store extends JobStore, NodeStore, TrustRecordStore, AuditStore, LeaseStore,
        AutoCloseable {

    /**
     * Whether the store answers now (a cheap round trip to the database, bounded to a second or so);
     * the gRPC health service reports NOT_SERVING while it does not. Never throws.
     */
    boolean available();

    @Override
    void close();
}
