package io.fedlora.coordinator.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;

/**
 * Answers "does the database answer now?" within a bound. Taking a pooled connection can wait for
 * the pool's whole connection timeout when the server is gone, so the round trip runs on a thread of
 * its own; a caller waits at most the bound, and callers that come while one probe is still out
 * share it instead of queueing more.
 */
final class ConnectionProbe implements AutoCloseable {

    private final DataSource pool;
    private final Duration bound;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedlora-store-probe");
        t.setDaemon(true);
        return t;
    });
    private CompletableFuture<Boolean> inFlight = CompletableFuture.completedFuture(true);

    ConnectionProbe(DataSource pool, Duration bound) {
        this.pool = pool;
        this.bound = bound;
    }

    boolean answers() {
        CompletableFuture<Boolean> probe;
        synchronized (this) {
            if (inFlight.isDone()) {
                inFlight = CompletableFuture.supplyAsync(this::roundTrip, thread);
            }
            probe = inFlight;
        }
        try {
            return probe.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return false;
        }
    }

    private boolean roundTrip() {
        try (Connection c = pool.getConnection()) {
            return c.isValid((int) Math.max(1, bound.toSeconds()));
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
