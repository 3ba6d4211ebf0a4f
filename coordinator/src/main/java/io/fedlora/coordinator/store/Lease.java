package io.fedlora.coordinator.store;

/**
 * A coordinator's hold on a lease in the store: who holds it, where agents reach it, and the epoch
 * that fences its writes. Each change of holder gives a higher epoch.
 *
 * @param name the lease ({@link LeaseStore#ACTIVE_COORDINATOR})
 * @param holder the coordinator's id (stable across its restarts)
 * @param holderAddress where the holder serves, for logs and operators
 * @param epoch this holding's fencing token
 * @param expiresUnixMs when it lapses unless renewed, in the database's clock
 */
public record Lease(String name, String holder, String holderAddress, long epoch, long expiresUnixMs) {
}
