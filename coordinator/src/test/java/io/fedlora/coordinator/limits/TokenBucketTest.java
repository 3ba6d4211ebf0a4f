package io.fedlora.coordinator.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void aFullBucketGivesItsBurstThenOneTokenPerInterval() {
        TokenBucket b = new TokenBucket(3, 10, now::get);
        assertTrue(b.isFull());
        for (int i = 0; i < 3; i++) {
            assertEquals(0, b.tryTake());
        }
        assertEquals(TimeUnit.MILLISECONDS.toNanos(100), b.tryTake(), "the next token is 100 ms away");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(60));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(40), b.tryTake(), 1, "a refusal takes nothing");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(40));
        assertEquals(0, b.tryTake());
        assertFalse(b.isFull());
    }

    @Test
    void aQuietSpellRefillsUpToTheBurstOnly() {
        TokenBucket b = new TokenBucket(2, 1, now::get);
        b.tryTake();
        b.tryTake();
        now.addAndGet(TimeUnit.HOURS.toNanos(1));
        assertTrue(b.isFull());
        assertEquals(0, b.tryTake());
        assertEquals(0, b.tryTake());
        assertTrue(b.tryTake() > 0);
    }

    @Test
    void limitsAreValidatedTogether() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LoadLimits(0, 0, Double.NaN, 1, 0, 5));
        assertTrue(e.getMessage().contains("callsPerSecond") && e.getMessage().contains("callBurst")
                && e.getMessage().contains("anonymousCallsPerSecond") && e.getMessage().contains("streamsPerClient")
                && !e.getMessage().contains("outstandingEnrollmentTokens"), e.getMessage());
        assertEquals(LoadLimits.DEFAULT_CALL_BURST, LoadLimits.defaults().callBurst());
    }
}
