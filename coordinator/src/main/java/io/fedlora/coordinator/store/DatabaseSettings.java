package io.fedlora.coordinator.store;

import io.fedlora.coordinator.store.jdbc.JdbcStore;
import io.fedlora.coordinator.store.jdbc.SqlDialect;
import io.fedlora.crypto.SecretBytes;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which database holds the store and how to log in to it: the embedded H2 file under the data
 * directory (the default, nothing to install), or a PostgreSQL server by JDBC URL. The password is
 * never part of the URL (so it cannot end up in a log or a process listing) and never printed.
 *
 * @param jdbcUrl {@code jdbc:h2:file:...} or {@code jdbc:postgresql://HOST:PORT/DATABASE}
 * @param user the database user; empty for the driver's default
 * @param password empty when the server needs none (e.g. trust authentication on loopback)
 * @param maxConnections the pool's size
 */
public record DatabaseSettings(String jdbcUrl, String user, Optional<SecretBytes> password, int maxConnections) {

    /** Enough for the round loops, the services and the dashboard at once; the store does a few writes a round. */
    public static final int DEFAULT_MAX_CONNECTIONS = 8;

    private static final Pattern PASSWORD_IN_URL = Pattern.compile("(?i)[?&;:]password=");
    private static final Pattern USER_INFO = Pattern.compile("//[^/@?]*@");

    public DatabaseSettings {
        if (jdbcUrl == null || jdbcUrl.isBlank()) {
            throw new IllegalArgumentException("store URL: required");
        }
        SqlDialect.forUrl(jdbcUrl);
        if (PASSWORD_IN_URL.matcher(jdbcUrl).find() || USER_INFO.matcher(jdbcUrl).find()) {
            throw new IllegalArgumentException("store URL: must not carry a password (give it in a file, "
                    + "--store-password-file, or the environment, FEDLORA_STORE_PASSWORD)");
        }
        user = user == null ? "" : user;
        password = password == null ? Optional.empty() : password;
        if (maxConnections < 1) {
            throw new IllegalArgumentException("store connections: must be at least 1, got " + maxConnections);
        }
    }

    /**
     * The embedded H2 database {@code <dataDir>/fedlora.mv.db}. {@code WRITE_DELAY=0}: H2 otherwise
     * keeps committed changes in memory for up to half a second, and a coordinator killed in that
     * window (SIGKILL, OOM killer) would lose a round it had just recorded or published.
     */
    public static DatabaseSettings embedded(Path dataDir) {
        return new DatabaseSettings("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fedlora")
                + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0", "fedlora", Optional.empty(), DEFAULT_MAX_CONNECTIONS);
    }

    /** A database by JDBC URL (a PostgreSQL server, or an H2 file named by URL). */
    public static DatabaseSettings jdbc(String jdbcUrl, String user, Optional<SecretBytes> password) {
        return new DatabaseSettings(jdbcUrl, user, password, DEFAULT_MAX_CONNECTIONS);
    }

    public SqlDialect dialect() {
        return SqlDialect.forUrl(jdbcUrl);
    }

    /** Opens a pool on the database and brings its schema up to date. */
    public Store open() {
        return JdbcStore.open(this);
    }

    /** What may be logged: the URL without its parameters, and the user. */
    public String describe() {
        String base = jdbcUrl.split("[?;]", 2)[0];
        return user.isEmpty() ? base : base + " as " + user;
    }

    @Override
    public String toString() {
        return "DatabaseSettings[" + describe() + ", password " + (password.isPresent() ? "given" : "none") + "]";
    }
}
