package io.fedlora.coordinator.round;

import java.time.Duration;

/**
 * How the round loop paces itself. {@code tick} bounds how long it sleeps before re-reading the
 * clock (so a test clock moved forward is noticed); {@code retryDelay} is the pause after an
 * aborted round before it is retried.
 */
public record RoundTiming(Duration tick, Duration retryDelay) {

    public RoundTiming {
        if (tick.isNegative() || tick.isZero()) {
            throw new IllegalArgumentException("tick must be positive, got " + tick);
        }
        if (retryDelay.isNegative()) {
            throw new IllegalArgumentException("retryDelay must not be negative, got " + retryDelay);
        }
    }

    public static RoundTiming defaults() {
        return new RoundTiming(Duration.ofMillis(100), Duration.ofSeconds(1));
    }
}
