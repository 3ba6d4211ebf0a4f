package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh, empty database on the PostgreSQL server that {@code deploy/scripts/postgres-test.sh} runs,
 * named by {@code FEDLORA_TEST_POSTGRES_URL} (or the system property {@code fedlora.test.postgres.url}).
 * Without it the test is skipped, except under CI, where it fails.
 */
public final class PostgresTestDatabase implements AutoCloseable {

    static final String ENV = "FEDLORA_TEST_POSTGRES_URL";
    private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?");

    private final String adminUrl;
    private final String name;
    private final String url;

    private PostgresTestDatabase(String adminUrl, String name, String url) {
        this.adminUrl = adminUrl;
        this.name = name;
        this.url = url;
    }

    /** The server's URL, or the test is skipped (outside CI) or failed (under CI) with how to start one. */
    public static String serverUrl() {
        String url = Optional.ofNullable(System.getProperty("fedlora.test.postgres.url")).orElse(System.getenv(ENV));
        if (url == null || url.isBlank()) {
            String how = "no PostgreSQL for the store contract: start one with `deploy/scripts/postgres-test.sh start`"
                    + " and set " + ENV + " to the URL it prints";
            if (System.getenv("CI") != null) {
                fail(how + " (CI must run these tests)");
            }
            Assumptions.abort(how);
        }
        return url;
    }

    /** Creates a database of its own for one test. */
    public static PostgresTestDatabase create() throws SQLException {
        String server = serverUrl();
        Matcher m = URL.matcher(server);
        if (!m.matches()) {
            throw new IllegalArgumentException(ENV + " is not a jdbc:postgresql://HOST:PORT/DATABASE URL: " + server);
        }
        String name = "fedlora_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(server); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return new PostgresTestDatabase(server, name, m.group(1) + name + (m.group(3) == null ? "" : m.group(3)));
    }

    /** The database's JDBC URL (what {@code --store} takes). */
    public String url() {
        return url;
    }

    public DatabaseSettings settings() {
        return DatabaseSettings.jdbc(url, "", Optional.empty());
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url);
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }
}
