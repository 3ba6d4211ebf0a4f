package io.fedlora.coordinator.round;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash testing only: points of a round where the coordinator can be told to stop for a while, so
 * that a test can SIGKILL it exactly there (windows otherwise a few milliseconds wide). Off unless
 * the hidden {@code fedlora coordinator --fault-hold POINT=MILLIS} sets it; process-wide, like the
 * process it is for.
 */
public final class FaultHolds {

    /** After the sum is unmasked (or the updates are in), before the strategy has made the next adapter. */
    public static final String AGGREGATE = "aggregate";
    /** After the adapter's blob is written, before its version is recorded. */
    public static final String PUBLISH = "publish";
    static final Set<String> POINTS = Set.of(AGGREGATE, PUBLISH);

    private static final Logger log = LoggerFactory.getLogger(FaultHolds.class);
    private static volatile Map<String, Duration> holds = Map.of();

    private FaultHolds() {}

    /** Replaces the holds; an unknown point is refused with the ones that exist. */
    public static void configure(Map<String, Duration> points) {
        for (String p : points.keySet()) {
            if (!POINTS.contains(p)) {
                throw new IllegalArgumentException("--fault-hold: no point '" + p + "'; points are " + POINTS);
            }
        }
        holds = Map.copyOf(points);
    }

    /** Waits here if a hold is set for {@code point}, saying so first (the line a crash test waits for). */
    static void at(String point, String jobId, int round) {
        Duration d = holds.get(point);
        if (d == null) {
            return;
        }
        log.warn("job {} round {}: holding at {} for {} ms (--fault-hold, crash testing)", jobId, round, point,
                d.toMillis());
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
