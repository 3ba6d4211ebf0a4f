package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What every {@link BlobStore} must do: run by {@link FileBlobStoreTest} and {@link S3BlobStoreTest}. */
abstract class BlobStoreContract {

    /** An empty blob store for this test. */
    abstract BlobStore store();

    /** Replaces the stored bytes of {@code sha256} behind the store's back, as someone with access could. */
    abstract void overwrite(String sha256, byte[] bytes) throws Exception;

    @Test
    void blobsAreNamedByTheirSha256AndReadBack() {
        BlobStore b = store();
        byte[] data = "adapter bytes".getBytes(StandardCharsets.UTF_8);
        assertFalse(b.contains(Sha256.hex(data)));
        String sha = b.put(data);
        assertEquals(Sha256.hex(data), sha);
        assertTrue(b.contains(sha));
        assertEquals(sha, b.put(data), "putting the same bytes again is a no-op");
        assertArrayEquals(data, b.get(sha));
    }

    @Test
    void largeAndEmptyBlobsRoundTrip() {
        BlobStore b = store();
        byte[] large = new byte[3 << 20];
        new Random(1).nextBytes(large);
        assertArrayEquals(large, b.get(b.put(large)));
        assertArrayEquals(new byte[0], b.get(b.put(new byte[0])));
    }

    @Test
    void aBlobChangedBehindTheStoresBackIsRefused() throws Exception {
        BlobStore b = store();
        String sha = b.put("the real adapter".getBytes(StandardCharsets.UTF_8));
        overwrite(sha, "tampered".getBytes(StandardCharsets.UTF_8));
        StoreException e = assertThrows(StoreException.BlobCorrupted.class, () -> b.get(sha));
        assertTrue(e.getMessage().contains("blob " + sha) && e.getMessage().contains("corrupted"), e.getMessage());
    }

    @Test
    void aMissingBlobIsAnErrorThatNamesIt() {
        BlobStore b = store();
        String sha = "ee".repeat(32);
        StoreException e = assertThrows(StoreException.BlobMissing.class, () -> b.get(sha));
        assertTrue(e.getMessage().contains("blob " + sha + " is missing"), e.getMessage());
    }

    @Test
    void namesThatAreNotHashesAreRefused() {
        BlobStore b = store();
        assertThrows(IllegalArgumentException.class, () -> b.get("../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> b.contains("EE".repeat(32)));
    }
}
