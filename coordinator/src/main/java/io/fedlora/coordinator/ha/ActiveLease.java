package io.fedlora.coordinator.ha;

import io.fedlora.coordinator.store.Lease;
import io.fedlora.coordinator.store.LeaseStore;
import io.fedlora.coordinator.store.StoreException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This coordinator's hold on the active coordinator's lease: waited for as a standby, then renewed in
 * the background. When it is lost (taken over after a pause, or not renewed in time because the
 * store was unreachable) the store is already fenced against this holder's writes, and
 * {@code onLost} is told once, so the process can stop serving. Closing releases it, so a standby
 * takes over at once after a clean stop.
 */
public final class ActiveLease implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ActiveLease.class);

    private final LeaseStore store;
    private final StandbySettings settings;
    private final Lease held;
    private final Consumer<String> onLost;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final ScheduledExecutorService renewals;
    private volatile long renewedNanos;

    private ActiveLease(LeaseStore store, StandbySettings settings, Lease held, long takenNanos, Consumer<String> onLost) {
        this.store = store;
        this.settings = settings;
        this.held = held;
        this.onLost = onLost;
        this.renewedNanos = takenNanos;
        this.renewals = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "coordinator-lease");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Waits as a standby until the lease is this coordinator's, then fences the store with it and keeps
     * it renewed. Returns only holding the lease; interrupted, it gives up waiting.
     */
    public static ActiveLease await(LeaseStore store, StandbySettings settings, String holder, String address,
            Consumer<String> onLost) throws InterruptedException {
        String lastSeen = null;
        while (true) {
            long attempt = System.nanoTime();
            try {
                Optional<Lease> taken = store.acquireLease(LeaseStore.ACTIVE_COORDINATOR, holder, address,
                        settings.leaseTtl());
                if (taken.isPresent()) {
                    Lease l = taken.get();
                    store.fenceWith(l);
                    log.info("active: took the coordinator lease (epoch {}, TTL {} s)", l.epoch(),
                            settings.leaseTtl().toSeconds());
                    ActiveLease a = new ActiveLease(store, settings, l, attempt, onLost);
                    a.startRenewing();
                    return a;
                }
                Optional<Lease> other = store.lease(LeaseStore.ACTIVE_COORDINATOR);
                String who = other.map(o -> o.holder() + " at " + o.holderAddress()).orElse("another coordinator");
                if (!who.equals(lastSeen)) {
                    log.info("standby: coordinator {} holds the lease; waiting to take over", who);
                    lastSeen = who;
                }
            } catch (StoreException e) {
                log.warn("standby: cannot reach the store to ask for the lease: {}", e.getMessage());
                lastSeen = null;
            }
            Thread.sleep(settings.pollEvery().toMillis());
        }
    }

    private void startRenewing() {
        long every = settings.renewEvery().toMillis();
        renewals.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    private void renew() {
        long attempt = System.nanoTime();
        try {
            if (store.renewLease(held, settings.leaseTtl())) {
                renewedNanos = attempt;
            } else {
                lost("another coordinator took the lease over");
            }
        } catch (StoreException e) {
            Duration since = Duration.ofNanos(attempt - renewedNanos);
            if (since.compareTo(settings.leaseTtl()) >= 0) {
                lost("could not renew it for " + since.toSeconds() + " s (" + e.getMessage() + ")");
            } else {
                log.warn("lease renewal failed ({}); retrying, {} ms left", e.getMessage(),
                        settings.leaseTtl().minus(since).toMillis());
            }
        }
    }

    private void lost(String why) {
        if (ended.compareAndSet(false, true)) {
            renewals.shutdown();
            log.error("lost the active coordinator's lease (epoch {}): {}; stopping, a standby runs the jobs now",
                    held.epoch(), why);
            onLost.accept(why);
        }
    }

    /** The holding: its epoch fences the store's writes. */
    public Lease held() {
        return held;
    }

    /** Stops renewing and lets the lease lapse now, unless it was already lost. */
    @Override
    public void close() throws InterruptedException {
        renewals.shutdownNow();
        renewals.awaitTermination(5, TimeUnit.SECONDS);
        if (ended.compareAndSet(false, true)) {
            try {
                store.releaseLease(held);
                log.info("released the coordinator lease (epoch {})", held.epoch());
            } catch (StoreException e) {
                log.warn("could not release the coordinator lease; a standby takes over when it lapses: {}",
                        e.getMessage());
            }
        }
    }
}
