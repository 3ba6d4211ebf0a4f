package io.fedlora.coordinator.store;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The blob contract on the default: files in a local directory. */
class FileBlobStoreTest extends BlobStoreContract {

    @TempDir
    Path dir;

    @Override
    BlobStore store() {
        return BlobSettings.directory(dir.resolve("blobs")).open();
    }

    @Override
    void overwrite(String sha256, byte[] bytes) throws Exception {
        Files.write(dir.resolve("blobs").resolve(sha256), bytes);
    }
}
