package io.fedlora.coordinator.store;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A real S3-compatible server for tests: s3proxy, in this JVM, on a loopback port, keeping objects
 * in a directory, checking signed (AWS v4) requests against one test key pair.
 */
public final class S3TestServer implements AutoCloseable {

    public static final String ACCESS_KEY = "fedlora-test";
    public static final String SECRET_KEY = "fedlora-test-secret";

    private final BlobStoreContext backend;
    private final S3Proxy server;
    private final AtomicInteger buckets = new AtomicInteger();

    private S3TestServer(BlobStoreContext backend, S3Proxy server) {
        this.backend = backend;
        this.server = server;
    }

    public static S3TestServer start(Path objects) throws Exception {
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", objects.toString());
        BlobStoreContext backend = ContextBuilder.newBuilder("filesystem").overrides(p).build(BlobStoreContext.class);
        S3Proxy server = S3Proxy.builder().blobStore(backend.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        server.start();
        while (!"STARTED".equals(server.getState())) {
            Thread.sleep(10);
        }
        return new S3TestServer(backend, server);
    }

    /** Creates a new, empty bucket and returns its name. */
    public String createBucket() {
        String name = "fedlora-blobs-" + buckets.incrementAndGet();
        backend.getBlobStore().createContainerInLocation(null, name);
        return name;
    }

    /** Where the server answers, for {@code --s3-endpoint}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getPort());
    }

    /** Settings for {@code s3url} on this server, signed with the test key or {@code secretKey}. */
    public BlobSettings settings(String s3url, String secretKey) {
        return BlobSettings.s3(s3url, Optional.of(endpoint()), "us-east-1",
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secretKey)));
    }

    public BlobSettings settings(String s3url) {
        return settings(s3url, SECRET_KEY);
    }

    /** Whether the object exists, looked up in the server's backend (not through S3). */
    public boolean exists(String bucket, String key) {
        return backend.getBlobStore().blobExists(bucket, key);
    }

    /** How many objects the bucket holds. */
    public long count(String bucket) {
        return backend.getBlobStore().countBlobs(bucket);
    }

    @Override
    public void close() throws Exception {
        server.stop();
        backend.close();
    }
}
