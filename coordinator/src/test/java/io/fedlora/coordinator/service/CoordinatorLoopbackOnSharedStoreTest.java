package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.store.PostgresTestDatabase;
import io.fedlora.coordinator.store.S3TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same job over loopback, then restart, with the store in a real PostgreSQL and the adapter
 * blobs in an S3-compatible bucket, as coordinator hosts that share them run.
 */
class CoordinatorLoopbackOnSharedStoreTest extends CoordinatorLoopbackTest {

    @TempDir
    Path objects;

    private PostgresTestDatabase database;
    private S3TestServer s3;
    private String bucket;

    @BeforeEach
    void startSharedStore() throws Exception {
        database = PostgresTestDatabase.create(); // skips (outside CI) or fails (under CI) without a server
        s3 = S3TestServer.start(objects);
        bucket = s3.createBucket();
    }

    @AfterEach
    void stopSharedStore() throws Exception {
        if (database == null) {
            return; // skipped: no PostgreSQL here
        }
        // Every adapter the job published went to the bucket, none to the data directory.
        assertTrue(s3.count(bucket) >= 3, "initial and two published adapters in the bucket");
        assertTrue(!dir.resolve("blobs").toFile().exists(), "no local blob directory");
        s3.close();
        database.close();
    }

    @Override
    CoordinatorConfig.Builder storage(CoordinatorConfig.Builder config) {
        return config.database(database.settings()).blobs(s3.settings("s3://" + bucket + "/coordinator"));
    }
}
