package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** The blob contract on an S3-compatible server ({@link S3TestServer}), a new bucket for each test. */
class S3BlobStoreTest extends BlobStoreContract {

    @TempDir
    static Path objects;

    private static S3TestServer server;

    private String bucket;
    private BlobStore store;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start(objects);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void createBucket() {
        bucket = server.createBucket();
        store = server.settings("s3://" + bucket + "/adapters").open();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Override
    BlobStore store() {
        return store;
    }

    @Override
    void overwrite(String sha256, byte[] bytes) {
        try (var s3 = ((BlobSettings.S3Bucket) server.settings("s3://" + bucket)).client()) {
            s3.putObject(b -> b.bucket(bucket).key("adapters/" + sha256), RequestBody.fromBytes(bytes));
        }
    }

    @Test
    void blobsLiveUnderThePrefixInTheBucket() {
        String sha = store.put(new byte[] {1, 2, 3});
        assertTrue(server.exists(bucket, "adapters/" + sha));
    }

    @Test
    void wrongCredentialsOrAMissingBucketStopItAtOpenNamingTheBucketButNotTheKey() {
        StoreException e = assertThrows(StoreException.class,
                () -> server.settings("s3://" + bucket + "/adapters", "not-the-secret").open());
        assertTrue(e.getMessage().contains("cannot use the blob bucket s3://" + bucket + "/adapters/: access denied"),
                e.getMessage());
        assertTrue(!e.getMessage().contains(S3TestServer.SECRET_KEY) && !e.getMessage().contains("not-the-secret"),
                e.getMessage());
        StoreException missing = assertThrows(StoreException.class, () -> server.settings("s3://no-such-bucket").open());
        assertTrue(missing.getMessage().contains("s3://no-such-bucket/: it does not exist"), missing.getMessage());
    }

    @Test
    void badBucketUrlsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> server.settings("s3://Bad_Bucket/x"));
        assertTrue(e.getMessage().contains("'Bad_Bucket' in s3://Bad_Bucket/x is not a valid bucket name"), e.getMessage());
        assertEquals("blobs: expected s3://BUCKET[/PREFIX], got /tmp/blobs",
                assertThrows(IllegalArgumentException.class, () -> server.settings("/tmp/blobs")).getMessage());
    }
}
