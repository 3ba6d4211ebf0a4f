package io.fedlora.coordinator.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded default: an H2 file in a fresh data directory. */
class H2StoreContractTest extends StoreContract {

    @TempDir
    Path dir;

    @Override
    Store open() {
        return DatabaseSettings.embedded(dir).open();
    }

    @Override
    void sql(String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.toAbsolutePath().resolve("fedlora"),
                "fedlora", ""); Statement st = c.createStatement()) {
            for (String q : statements) {
                st.execute(q);
            }
        }
    }
}
