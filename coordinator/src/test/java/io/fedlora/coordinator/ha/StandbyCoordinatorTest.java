package io.fedlora.coordinator.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.store.DatabaseSettings;
import io.fedlora.coordinator.store.LeaseStore;
import io.fedlora.coordinator.store.PostgresTestDatabase;
import io.fedlora.coordinator.store.StoreException;
import io.fedlora.coordinator.web.DashboardSettings;
import io.fedlora.proto.v1.JobState;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two coordinators with a lease on one PostgreSQL store, in this JVM (the processes' test is CoordinatorFailoverIT). */
class StandbyCoordinatorTest {

    @TempDir
    Path dir;

    private PostgresTestDatabase db;

    @BeforeEach
    void createDatabase() throws Exception {
        db = PostgresTestDatabase.create();
    }

    @AfterEach
    void dropDatabase() throws Exception {
        db.close();
    }

    private CoordinatorConfig config(String name) {
        return CoordinatorConfig.builder(dir.resolve(name)).insecureTransport(true).insecurePlaintext(true)
                .database(db.settings()).dashboard(DashboardSettings.disabled())
                .standby(StandbySettings.withLease(Duration.ofSeconds(2))).build();
    }

    private static CoordinatorServer start(CoordinatorConfig c) throws Exception {
        return CoordinatorServer.start(c, InProcessServerBuilder.forName(InProcessServerBuilder.generateName()));
    }

    @Test
    void theStandbyStartsOnlyWhenTheActiveOneStopsAndCountsTheEpoch() throws Exception {
        CoordinatorServer a = start(config("a"));
        CompletableFuture<CoordinatorServer> b = CompletableFuture.supplyAsync(() -> {
            try {
                return start(config("b"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            Thread.sleep(3000);
            assertFalse(b.isDone(), "b waits while a renews its lease");
            assertTrue(a.metrics().scrape().contains("fedlora_coordinator_lease_epoch 1.0"), a.metrics().scrape());
            a.close(); // releases the lease
            CoordinatorServer active = b.get(5, TimeUnit.SECONDS);
            assertTrue(active.metrics().scrape().contains("fedlora_coordinator_lease_epoch 2.0"));
            assertFalse(active.leaseLost().isDone());
            active.close();
        } finally {
            b.cancel(true);
            a.close();
        }
    }

    @Test
    void anActiveCoordinatorWhoseLeaseIsTakenStopsAndWritesNothingMore() throws Exception {
        CoordinatorServer a = start(config("a"));
        try (var other = db.settings().open()) {
            // As if a had been paused past its lease; a renewal of a's landing between the two statements
            // would extend it again, so expire and take it until the take succeeds.
            java.util.Optional<?> taken = java.util.Optional.empty();
            for (int i = 0; i < 20 && taken.isEmpty(); i++) {
                try (var c = db.connect(); var st = c.createStatement()) {
                    st.execute("UPDATE coordinator_lease SET expires_ms = 0");
                }
                taken = other.acquireLease(LeaseStore.ACTIVE_COORDINATOR, "c", "c:7070", Duration.ofMinutes(1));
            }
            assertTrue(taken.isPresent(), "c took the expired lease");
            String why = a.leaseLost().get(5, TimeUnit.SECONDS);
            assertTrue(why.contains("took the lease over"), why);
            assertThrows(StoreException.class, () -> a.store().setJobState("j", JobState.JOB_STATE_FAILED, ""));
        } finally {
            a.close();
        }
    }

    @Test
    void aStandbyOnTheEmbeddedStoreIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CoordinatorConfig
                .builder(dir).database(DatabaseSettings.embedded(dir)).standby(StandbySettings.withLease(
                        Duration.ofSeconds(8))).build());
        assertTrue(e.getMessage().contains("a lease needs a store every coordinator shares"), e.getMessage());
    }
}
