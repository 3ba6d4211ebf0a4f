package io.fedlora.coordinator.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.LeaseStore;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.store.StoreException;
import io.fedlora.proto.v1.JobState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two coordinators' leases on one store (an H2 file both open in this JVM). */
class ActiveLeaseTest {

    private static final StandbySettings ONE_SECOND = StandbySettings.withLease(Duration.ofSeconds(1));

    @TempDir
    Path dir;

    private Store open() {
        return DatabaseSettings.embedded(dir).open();
    }

    @Test
    void theStandbyWaitsWhileTheActiveRenewsAndTakesOverWhenItStops() throws Exception {
        try (Store a = open(); Store b = open()) {
            ActiveLease active = ActiveLease.await(a, ONE_SECOND, "a", "a:7070", why -> { });
            CompletableFuture<ActiveLease> standby = CompletableFuture.supplyAsync(() -> {
                try {
                    return ActiveLease.await(b, ONE_SECOND, "b", "b:7070", why -> { });
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(2500); // more than two TTLs: only renewals keep the lease a's
            assertFalse(standby.isDone(), "a renews every quarter TTL, so b keeps waiting");
            active.close(); // a clean stop releases the lease
            ActiveLease took = standby.get(2, TimeUnit.SECONDS);
            assertEquals(2, took.held().epoch());
            assertEquals("b", a.lease(LeaseStore.ACTIVE_COORDINATOR).orElseThrow().holder());
            took.close();
        }
    }

    @Test
    void aHolderWhoseLeaseWasTakenOverIsToldAndIsFenced() throws Exception {
        try (Store a = open(); Store b = open()) {
            CompletableFuture<String> lost = new CompletableFuture<>();
            ActiveLease active = ActiveLease.await(a, ONE_SECOND, "a", "a:7070", lost::complete);
            // As if a had been paused past its lease: it lapses and b takes it.
            try (var c = DriverManager.getConnection("jdbc:h2:file:" + dir.toAbsolutePath().resolve("fedlora"),
                    "fedlora", ""); var st = c.createStatement()) {
                st.execute("UPDATE coordinator_lease SET expires_ms = 0");
            }
            ActiveLease standby = ActiveLease.await(b, ONE_SECOND, "b", "b:7070", why -> { });
            assertTrue(lost.get(3, TimeUnit.SECONDS).contains("took the lease over"), lost.get());
            assertThrows(StoreException.Fenced.class, () -> a.setJobState("j", JobState.JOB_STATE_FAILED, "late"));
            b.setJobState("j", JobState.JOB_STATE_FAILED, ""); // the new holder's writes go through
            active.close(); // does not release what is no longer its own
            assertEquals("b", b.lease(LeaseStore.ACTIVE_COORDINATOR).orElseThrow().holder());
            standby.close();
        }
    }

    @Test
    void theIdIsKeptInTheDataDirAcrossRestarts() throws Exception {
        String id = CoordinatorId.loadOrCreate(dir);
        assertTrue(id.matches("coordinator-[0-9a-f]{12}"), id);
        assertEquals(id, CoordinatorId.loadOrCreate(dir));
        Files.writeString(dir.resolve(CoordinatorId.FILE), "bad id with spaces");
        assertTrue(assertThrows(java.io.IOException.class, () -> CoordinatorId.loadOrCreate(dir)).getMessage()
                .contains("coordinator-id"));
    }

    @Test
    void aLeaseShorterThanASecondIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> StandbySettings.withLease(Duration.ofMillis(500)));
    }
}
