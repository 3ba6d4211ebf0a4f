package io.fedlora.coordinator.store;

import io.fedlora.adapter.Sha256;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Blobs as objects {@code <prefix><sha256>} in an S3-compatible bucket, for coordinator hosts that
 * share one store. Objects are immutable once written (same name, same bytes), and every read is
 * verified against the name, so a changed or truncated object is refused, not served.
 */
public final class S3BlobStore implements BlobStore {

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    private final S3Client s3;
    private final String bucket;
    private final String prefix;

    /** Takes ownership of {@code s3}: {@link #close()} closes it. {@code prefix} is "" or ends with '/'. */
    public S3BlobStore(S3Client s3, String bucket, String prefix) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
    }

    /**
     * Opens the store after checking that the bucket is there and these credentials may use it, so a
     * wrong bucket or key stops the coordinator at start-up, not at its first published adapter.
     */
    public static S3BlobStore open(S3Client s3, String bucket, String prefix) {
        S3BlobStore store = new S3BlobStore(s3, bucket, prefix);
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (SdkException e) {
            s3.close();
            String why = e instanceof S3Exception s && s.statusCode() == 404 ? "it does not exist"
                    : e instanceof S3Exception s && s.statusCode() == 403 ? "access denied (check the credentials)"
                    : e.getMessage();
            throw new StoreException("cannot use the blob bucket " + store.where() + ": " + why, e);
        }
        return store;
    }

    @Override
    public String put(byte[] data) {
        String sha = Sha256.hex(data);
        if (!contains(sha)) {
            try {
                s3.putObject(b -> b.bucket(bucket).key(key(sha)).contentLength((long) data.length)
                        .contentType("application/octet-stream"), RequestBody.fromBytes(data));
            } catch (SdkException e) {
                throw new StoreException("cannot write blob " + sha + " to " + where() + ": " + e.getMessage(), e);
            }
        }
        return sha;
    }

    @Override
    public byte[] get(String sha256) {
        byte[] data;
        try {
            data = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key(sha256))).asByteArray();
        } catch (NoSuchKeyException e) {
            throw new StoreException.BlobMissing("blob " + sha256 + " is missing from " + where(), e);
        } catch (SdkException e) {
            throw new StoreException("cannot read blob " + sha256 + " from " + where() + ": " + e.getMessage(), e);
        }
        if (!Sha256.hex(data).equals(sha256)) {
            throw new StoreException.BlobCorrupted("blob " + sha256 + " in " + where()
                    + " is corrupted: its content no longer matches its hash");
        }
        return data;
    }

    @Override
    public boolean contains(String sha256) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(key(sha256)));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false; // HEAD has no body, so some servers' "not found" arrives without the error code
            }
            throw new StoreException("cannot look up blob " + sha256 + " in " + where() + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new StoreException("cannot look up blob " + sha256 + " in " + where() + ": " + e.getMessage(), e);
        }
    }

    private String key(String sha256) {
        if (!SHA.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a sha256: " + sha256);
        }
        return prefix + sha256;
    }

    private String where() {
        return "s3://" + bucket + "/" + prefix;
    }

    @Override
    public void close() {
        s3.close();
    }
}
