package io.fedlora.client.agent;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with "equal jitter": attempt n waits a random time in [d/2, d] where
 * d = min(max, initial·2ⁿ), so a fleet of agents does not reconnect in lock-step.
 */
final class Backoff {

    private final long initialNanos;
    private final long maxNanos;
    private final RandomGenerator random;

    Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.random = random;
    }

    Duration delay(int attempt) {
        double d = initialNanos * Math.pow(2, Math.min(attempt, 40));
        long capped = (long) Math.min(maxNanos, d);
        long half = capped / 2;
        return Duration.ofNanos(half + (half == 0 ? 0 : random.nextLong(capped - half + 1)));
    }
}
