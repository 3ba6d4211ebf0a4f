package io.fedlora.client.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** One time budget for everything a close waits for, and the list of what did not stop within it. */
final class ShutdownBudget {

    private final Duration total;
    private final long deadlineNanos;
    private final List<String> late = new ArrayList<>();

    ShutdownBudget(Duration total) {
        this.total = total;
        this.deadlineNanos = System.nanoTime() + total.toNanos();
    }

    long remainingNanos() {
        return Math.max(0, deadlineNanos - System.nanoTime());
    }

    void await(String what, Thread thread) throws InterruptedException {
        if (thread.isAlive()) {
            TimeUnit.NANOSECONDS.timedJoin(thread, Math.max(1, remainingNanos()));
            if (thread.isAlive()) {
                late.add(what);
            }
        }
    }

    void await(String what, ExecutorService executor) throws InterruptedException {
        if (executor != null && !executor.awaitTermination(remainingNanos(), TimeUnit.NANOSECONDS)) {
            late.add(what);
        }
    }

    void late(String what) {
        late.add(what);
    }

    List<String> late() {
        return List.copyOf(late);
    }

    Duration total() {
        return total;
    }
}
