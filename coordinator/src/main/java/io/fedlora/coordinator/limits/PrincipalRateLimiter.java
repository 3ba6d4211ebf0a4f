package io.fedlora.coordinator.limits;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The same per-caller call rate as {@link CallRateLimiter}, for callers that are not gRPC calls
 * (dashboard sessions): one token bucket per key, sized by {@link LoadLimits}.
 */
public final class PrincipalRateLimiter {

    private static final int FORGET_ABOVE = 10_000;

    private final LoadLimits limits;
    private final LongSupplier nanoTime;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    public PrincipalRateLimiter(LoadLimits limits, LongSupplier nanoTime) {
        this.limits = limits;
        this.nanoTime = nanoTime;
    }

    /** Empty when {@code key} may make a call now, else the nanoseconds until it may. */
    public OptionalLong tryAcquire(String key) {
        if (buckets.size() > FORGET_ABOVE) {
            buckets.values().removeIf(TokenBucket::isFull);
        }
        long wait = buckets.computeIfAbsent(key, k -> new TokenBucket(limits.callBurst(), limits.callsPerSecond(),
                nanoTime)).tryTake();
        return wait == 0 ? OptionalLong.empty() : OptionalLong.of(wait);
    }
}
