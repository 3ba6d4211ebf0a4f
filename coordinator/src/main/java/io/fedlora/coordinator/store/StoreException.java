package io.fedlora.coordinator.store;

/** The store or blob directory failed (I/O, SQL, or a blob that no longer matches its hash). */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
