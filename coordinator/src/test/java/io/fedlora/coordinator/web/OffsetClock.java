package io.fedlora.coordinator.web;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** The system clock plus an offset a test moves forward (certificates stay valid for the JDK's own checks). */
final class OffsetClock implements InstantSource {
    private volatile Duration offset = Duration.ZERO;

    @Override
    public Instant instant() {
        return Instant.now().plus(offset);
    }

    void advance(Duration d) {
        offset = offset.plus(d);
    }
}
