package io.fedlora.coordinator.store;

import java.time.Duration;
import java.util.Optional;

/**
 * Leases that make one coordinator the active one among several on a shared store. Expiry is judged
 * by the database's clock, so the hosts' clocks do not matter. Once a store is fenced with a lease
 * ({@link #fenceWith}), every job and round write checks, in its own transaction, that the lease is
 * still this holder's at that epoch, and fails with {@link StoreException.Fenced} otherwise: a coordinator
 * that was paused past its lease cannot publish over the one that took it.
 */
public interface LeaseStore {

    /** The lease of the coordinator that runs the jobs' rounds. */
    String ACTIVE_COORDINATOR = "active-coordinator";

    /**
     * Takes the lease for {@code ttl} if it is free, lapsed, or already {@code holder}'s (a restart: a
     * new epoch then); empty while another holder's lease runs.
     */
    Optional<Lease> acquireLease(String name, String holder, String holderAddress, Duration ttl);

    /** Extends {@code held} by {@code ttl}; false when it is no longer this holding (taken over). */
    boolean renewLease(Lease held, Duration ttl);

    /** Lets {@code held} lapse now, so a standby need not wait out its expiry; no-op once taken over. */
    void releaseLease(Lease held);

    /** The lease as it stands, if anyone ever took it. */
    Optional<Lease> lease(String name);

    /** From now on, job and round writes require {@code held} to be current (see the class comment). */
    void fenceWith(Lease held);
}
