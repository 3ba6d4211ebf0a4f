package io.fedlora.coordinator.service;

import io.fedlora.coordinator.store.Store;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the gRPC health service's answer in step with the store: SERVING while it answers,
 * NOT_SERVING while it does not (a coordinator without its store can run no round). Re-checked
 * periodically by the server and whenever a caller saw the store fail.
 */
public final class StoreHealth {

    private static final Logger log = LoggerFactory.getLogger(StoreHealth.class);

    private final Store store;
    private final HealthStatusManager health;
    private volatile Boolean serving;

    public StoreHealth(Store store, HealthStatusManager health) {
        this.store = store;
        this.health = health;
    }

    /** The answer of the last {@link #check}; false before the first. */
    public boolean serving() {
        return Boolean.TRUE.equals(serving);
    }

    /** Asks the store, sets the status; whether it is serving. */
    public synchronized boolean check() {
        boolean up;
        try {
            up = store.available();
        } catch (RuntimeException e) {
            up = false;
        }
        if (serving == null || serving != up) {
            health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, up ? ServingStatus.SERVING
                    : ServingStatus.NOT_SERVING);
            if (serving != null) {
                if (up) {
                    log.info("the store answers again: health SERVING");
                } else {
                    log.warn("the store does not answer: health NOT_SERVING until it does");
                }
            }
            serving = up;
        }
        return up;
    }
}
