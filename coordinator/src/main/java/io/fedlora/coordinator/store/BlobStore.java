package io.fedlora.coordinator.store;

/**
 * Content-addressed immutable blobs (adapter files), named by their hex sha256: a local directory
 * ({@link FileBlobStore}, the default) or an S3-compatible bucket shared by several coordinator
 * hosts ({@link S3BlobStore}). Open one with {@link BlobSettings#open()}.
 */
public interface BlobStore extends AutoCloseable {

    /** Stores {@code data} if not present; returns its sha256. */
    String put(byte[] data);

    /**
     * The blob's bytes, verified against its name; {@link StoreException.BlobMissing} or
     * {@link StoreException.BlobCorrupted} if so, another {@link StoreException} if it cannot be read.
     */
    byte[] get(String sha256);

    boolean contains(String sha256);

    /** Releases connections; blobs already stored stay. */
    @Override
    default void close() {}
}
