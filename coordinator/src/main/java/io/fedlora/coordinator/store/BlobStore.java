package io.fedlora.coordinator.store;

/** Content-addressed immutable blobs (adapter files), named by their hex sha256. */
public interface BlobStore {

    /** Stores {@code data} if not present; returns its sha256. */
    String put(byte[] data);

    /** The blob's bytes, verified against its name; {@link StoreException} if missing or corrupted. */
    byte[] get(String sha256);

    boolean contains(String sha256);
}
