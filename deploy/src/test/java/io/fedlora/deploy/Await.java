package io.fedlora.deploy;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polling waits for federation tests, which watch real processes and threads. */
final class Await {

    private Await() {}

    /** Waits up to {@code within} for {@code cond}; fails naming {@code what}. */
    static void until(String what, Duration within, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
