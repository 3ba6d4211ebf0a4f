package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The blob contract on an S3-compatible server: s3proxy, in this JVM, on a loopback port, keeping
 * objects in a temporary directory, with signed (AWS v4) requests checked.
 */
class S3BlobStoreTest extends BlobStoreContract {

    private static final String ACCESS_KEY = "fedlora-test";
    private static final String SECRET_KEY = "fedlora-test-secret";

    @TempDir
    static Path objects;

    private static BlobStoreContext backend;
    private static S3Proxy server;
    private static int bucketCounter;

    private String bucket;
    private BlobStore store;

    @BeforeAll
    static void startServer() throws Exception {
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", objects.toString());
        backend = ContextBuilder.newBuilder("filesystem").overrides(p).build(BlobStoreContext.class);
        server = S3Proxy.builder().blobStore(backend.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        server.start();
        while (!"STARTED".equals(server.getState())) {
            Thread.sleep(10);
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.stop();
        backend.close();
    }

    @BeforeEach
    void createBucket() {
        bucket = "fedlora-blobs-" + (++bucketCounter);
        backend.getBlobStore().createContainerInLocation(null, bucket);
        store = settings("s3://" + bucket + "/adapters", SECRET_KEY).open();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private static BlobSettings settings(String url, String secret) {
        return BlobSettings.s3(url, Optional.of(URI.create("http://127.0.0.1:" + server.getPort())), "us-east-1",
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secret)));
    }

    @Override
    BlobStore store() {
        return store;
    }

    @Override
    void overwrite(String sha256, byte[] bytes) {
        try (var s3 = ((BlobSettings.S3Bucket) settings("s3://" + bucket, SECRET_KEY)).client()) {
            s3.putObject(b -> b.bucket(bucket).key("adapters/" + sha256), RequestBody.fromBytes(bytes));
        }
    }

    @Test
    void blobsLiveUnderThePrefixInTheBucket() {
        String sha = store.put(new byte[] {1, 2, 3});
        assertTrue(backend.getBlobStore().blobExists(bucket, "adapters/" + sha));
    }

    @Test
    void wrongCredentialsAreAnErrorThatNamesTheBucketButNotTheKey() {
        try (BlobStore wrong = settings("s3://" + bucket + "/adapters", "not-the-secret").open()) {
            StoreException e = assertThrows(StoreException.class, () -> wrong.put(new byte[] {4}));
            assertTrue(e.getMessage().contains("s3://" + bucket + "/adapters/"), e.getMessage());
            assertTrue(!e.getMessage().contains(SECRET_KEY) && !e.getMessage().contains("not-the-secret"), e.getMessage());
        }
    }

    @Test
    void badBucketUrlsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings("s3://Bad_Bucket/x",
                SECRET_KEY));
        assertTrue(e.getMessage().contains("'Bad_Bucket' in s3://Bad_Bucket/x is not a valid bucket name"), e.getMessage());
        assertEquals("blobs: expected s3://BUCKET[/PREFIX], got /tmp/blobs", assertThrows(IllegalArgumentException.class,
                () -> settings("/tmp/blobs", SECRET_KEY)).getMessage());
    }
}
