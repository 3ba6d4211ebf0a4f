package io.fedlora.coordinator.store;

/** The store or blob directory failed (I/O, SQL, or a blob that no longer matches its hash). */
public sealed class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }

    /** A blob named by the store is not in the blob store: told apart so a resume check can say which. */
    public static final class BlobMissing extends StoreException {
        public BlobMissing(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A blob's bytes no longer match the sha256 it is named by. */
    public static final class BlobCorrupted extends StoreException {
        public BlobCorrupted(String message) {
            super(message);
        }
    }

    /**
     * A write refused because this coordinator's lease was taken over (see {@link LeaseStore}):
     * another coordinator is active now.
     */
    public static final class Fenced extends StoreException {
        public Fenced(String message) {
            super(message);
        }
    }
}
