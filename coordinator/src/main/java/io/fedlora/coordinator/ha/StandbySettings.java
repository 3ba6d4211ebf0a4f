package io.fedlora.coordinator.ha;

import java.time.Duration;

/**
 * Whether this coordinator is one of several on a shared store (PostgreSQL and S3-compatible blobs),
 * of which the one holding the lease runs the rounds and the others wait as standbys.
 *
 * @param enabled take part in the lease; off, the coordinator assumes it is alone (the default)
 * @param leaseTtl how long the lease lasts unrenewed: a dead active coordinator is replaced within
 *     about this much (renewed every quarter of it)
 */
public record StandbySettings(boolean enabled, Duration leaseTtl) {

    /** Short enough that a standby takes over in well under 15 s, long enough to ride out a GC pause or a slow commit. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(8);
    static final Duration SHORTEST_TTL = Duration.ofSeconds(1);

    public StandbySettings {
        if (leaseTtl == null || leaseTtl.compareTo(SHORTEST_TTL) < 0) {
            throw new IllegalArgumentException("lease TTL: must be at least " + SHORTEST_TTL.toSeconds() + " s, got "
                    + leaseTtl);
        }
    }

    public static StandbySettings alone() {
        return new StandbySettings(false, DEFAULT_LEASE_TTL);
    }

    public static StandbySettings withLease(Duration ttl) {
        return new StandbySettings(true, ttl);
    }

    /** How often the holder renews: four chances before the lease lapses. */
    Duration renewEvery() {
        return leaseTtl.dividedBy(4);
    }

    /** How often a standby asks whether the lease is free. */
    Duration pollEvery() {
        return leaseTtl.dividedBy(8).compareTo(Duration.ofMillis(500)) < 0 ? leaseTtl.dividedBy(8)
                : Duration.ofMillis(500);
    }
}
