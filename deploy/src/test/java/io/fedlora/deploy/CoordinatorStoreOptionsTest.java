package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedlora coordinator --store/--blobs}: a bad choice stops the coordinator before it listens,
 * with an error naming the option, and a store password never appears in what it prints.
 */
class CoordinatorStoreOptionsTest {

    private static final String PASSWORD = "hunter2-not-for-logs";

    @TempDir
    Path dir;

    private CliRun coordinator(String... more) {
        String[] args = new String[more.length + 5];
        System.arraycopy(new String[] {"coordinator", "--data-dir", dir.resolve("data").toString(), "--port", "0"}, 0,
                args, 0, 5);
        System.arraycopy(more, 0, args, 5, more.length);
        return CliRun.run(args);
    }

    private static void assertRefused(CliRun r, String expected) {
        assertNotEquals(0, r.exit());
        assertTrue((r.out() + r.err()).contains(expected), r.out() + r.err());
        assertTrue(!(r.out() + r.err()).contains(PASSWORD), r.out() + r.err());
    }

    @Test
    void aPasswordInTheStoreUrlIsRefusedWithoutBeingRepeated() {
        assertRefused(coordinator("--store", "jdbc:postgresql://127.0.0.1:1/fedlora?user=f&password=" + PASSWORD),
                "must not carry a password");
    }

    @Test
    void anUnreachableStoreIsNamedWithItsUserButNotItsPassword() throws Exception {
        Path pw = Files.writeString(dir.resolve("store-password"), PASSWORD + "\n");
        assertRefused(coordinator("--store", "jdbc:postgresql://127.0.0.1:1/fedlora?connectTimeout=2", "--store-user",
                "fedlora", "--store-password-file", pw.toString()),
                "cannot connect to the store jdbc:postgresql://127.0.0.1:1/fedlora as fedlora");
    }

    @Test
    void storeCredentialsWithoutAStoreAreAMistake() throws Exception {
        Path pw = Files.writeString(dir.resolve("store-password"), PASSWORD);
        assertRefused(coordinator("--store-password-file", pw.toString()), "go with --store");
    }

    @Test
    void anUnsupportedDatabaseOrBucketIsNamed() {
        assertRefused(coordinator("--store", "jdbc:mysql://db/fedlora"), "unsupported store URL (jdbc:mysql://db/fedlora)");
        assertRefused(coordinator("--blobs", "s3://Not_A_Bucket/x"), "'Not_A_Bucket' in s3://Not_A_Bucket/x is not a valid"
                + " bucket name");
        assertRefused(coordinator("--s3-endpoint", "http://127.0.0.1:9000"), "go with --blobs s3://");
        assertRefused(coordinator("--blobs", "s3://adapters", "--s3-credentials-file", dir.resolve("none").toString()),
                "--s3-credentials-file: cannot read " + dir.resolve("none"));
    }

    @Test
    void aStandbyNeedsASharedStore() {
        assertRefused(coordinator("--standby"), "--standby needs a store every coordinator shares");
        assertRefused(coordinator("--standby", "--store", "jdbc:h2:file:" + dir.resolve("db")),
                "--standby needs a store every coordinator shares");
        assertRefused(coordinator("--standby", "--store", "jdbc:postgresql://127.0.0.1:1/f", "--lease-ttl-seconds",
                "0"), "must be 1..300 seconds");
    }
}
