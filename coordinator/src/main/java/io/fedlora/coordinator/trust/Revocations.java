package io.fedlora.coordinator.trust;

import io.fedlora.coordinator.store.RevocationRecord;
import io.fedlora.coordinator.store.TrustRecordStore;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Revoked subjects (node ids, operator names), held in memory for the per-handshake and per-call
 * checks and persisted in the store. A revocation is permanent: a revoked node re-enrols under a
 * new node id.
 */
public final class Revocations {

    private final TrustRecordStore store;
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();

    private Revocations(TrustRecordStore store) {
        this.store = store;
    }

    public static Revocations load(TrustRecordStore store) {
        Revocations r = new Revocations(store);
        store.revocations().forEach(x -> r.revoked.add(x.subjectId()));
        return r;
    }

    public boolean isRevoked(String subjectId) {
        return revoked.contains(subjectId);
    }

    /** Records the revocation and applies it at once; false when the subject was already revoked. */
    public boolean revoke(RevocationRecord r) {
        boolean added = store.insertRevocation(r);
        revoked.add(r.subjectId());
        return added;
    }
}
