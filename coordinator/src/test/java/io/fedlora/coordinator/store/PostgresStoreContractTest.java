package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store contract on a real PostgreSQL 15, a fresh database for each test. */
class PostgresStoreContractTest extends StoreContract {

    private PostgresTestDatabase db;

    @BeforeEach
    void createDatabase() throws Exception {
        db = PostgresTestDatabase.create();
    }

    @AfterEach
    void dropDatabase() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    @Override
    Store open() {
        return db.settings().open();
    }

    @Override
    void sql(String... statements) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            for (String q : statements) {
                st.execute(q);
            }
        }
    }

    @Test
    void theMigrationsMakeTheSameSchemaWithPostgresTypes() throws Exception {
        open().close();
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT data_type FROM information_schema.columns WHERE table_name = 'jobs' AND column_name = 'config'")) {
            assertTrue(rs.next());
            assertEquals("bytea", rs.getString(1));
        }
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT max(version::int) FROM flyway_schema_history WHERE success")) {
            assertTrue(rs.next());
            assertEquals(7, rs.getInt(1));
        }
    }

    @Test
    void aDatabaseThatGoesAwayIsReportedUnavailableWithinTheBound() throws Exception {
        try (Store s = open()) {
            assertTrue(s.available());
            db.close(); // drops the database, ending the pool's connections
            long start = System.nanoTime();
            assertTrue(!s.available());
            assertTrue(System.nanoTime() - start < 3_000_000_000L, "answered within the bound, not the pool's timeout");
        }
    }

    @Test
    void aServerThatCannotBeReachedIsNamedWithoutItsPassword() {
        DatabaseSettings nowhere = new DatabaseSettings("jdbc:postgresql://127.0.0.1:1/fedlora?connectTimeout=2",
                "fedlora", Optional.of(io.fedlora.crypto.SecretBytes.copyOf("hunter2-secret".getBytes())), 1);
        StoreException e = assertThrows(StoreException.class, nowhere::open);
        assertTrue(e.getMessage().contains("cannot connect to the store jdbc:postgresql://127.0.0.1:1/fedlora as fedlora"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("hunter2") && !nowhere.toString().contains("hunter2"), e.getMessage());
    }
}
