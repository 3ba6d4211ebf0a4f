package io.fedlora.coordinator.limits;

import java.util.function.LongSupplier;

/**
 * A token bucket that never blocks: {@link #tryTake()} either takes a token or says how long until
 * one is back. It starts full. Guava's RateLimiter was the alternative, but its burst is fixed at one
 * second's worth and its clock cannot be injected.
 */
final class TokenBucket {

    private final double capacity;
    private final double tokensPerNano;
    private final LongSupplier nanoTime;
    private double tokens;
    private long refilledAt;

    /** @param nanoTime a monotonic clock ({@code System::nanoTime}, or a test's) */
    TokenBucket(int capacity, double tokensPerSecond, LongSupplier nanoTime) {
        this.capacity = capacity;
        this.tokensPerNano = tokensPerSecond / 1e9;
        this.nanoTime = nanoTime;
        this.tokens = capacity;
        this.refilledAt = nanoTime.getAsLong();
    }

    /** Takes a token and returns 0, or takes nothing and returns the nanoseconds until a token is back. */
    synchronized long tryTake() {
        refill();
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / tokensPerNano));
    }

    /** Whether the bucket is full, i.e. indistinguishable from a fresh one (so it can be forgotten). */
    synchronized boolean isFull() {
        refill();
        return tokens >= capacity;
    }

    private void refill() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(capacity, tokens + (now - refilledAt) * tokensPerNano);
        refilledAt = now;
    }
}
