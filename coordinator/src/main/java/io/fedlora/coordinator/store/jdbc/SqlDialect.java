package io.fedlora.coordinator.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Where the store's SQL differs between the databases it runs on; everything else is standard SQL
 * that both accept.
 */
public enum SqlDialect {

    /** The embedded default: one coordinator process owns the file, so a JVM lock orders audit appends. */
    H2("jdbc:h2:", "VARBINARY") {
        @Override
        String upsert(String table, List<String> columns, List<String> key) {
            return "MERGE INTO " + table + " (" + String.join(", ", columns) + ") KEY (" + String.join(", ", key)
                    + ") VALUES (" + marks(columns.size()) + ")";
        }

        @Override
        void lockAuditLog(Connection c) {
            // Only this process opens the file; JdbcAuditStore's own lock suffices.
        }

        @Override
        String nowMillis() {
            return "DATEDIFF(MILLISECOND, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00', CURRENT_TIMESTAMP)";
        }
    },

    /** Several coordinator hosts may share it, so audit appends are ordered by a transaction lock in the database. */
    POSTGRESQL("jdbc:postgresql:", "BYTEA") {
        @Override
        String upsert(String table, List<String> columns, List<String> key) {
            String set = columns.stream().filter(c -> !key.contains(c)).map(c -> c + " = EXCLUDED." + c)
                    .collect(Collectors.joining(", "));
            return "INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES (" + marks(columns.size())
                    + ") ON CONFLICT (" + String.join(", ", key) + ") DO UPDATE SET " + set;
        }

        @Override
        void lockAuditLog(Connection c) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                ps.setLong(1, AUDIT_LOCK_KEY);
                ps.execute();
            }
        }

        @Override
        String nowMillis() {
            // clock_timestamp(), not now(): a lease's expiry must not be the transaction's start time.
            return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
        }
    };

    /** An arbitrary constant naming the audit log's advisory lock ("fedaudit" in ASCII). */
    private static final long AUDIT_LOCK_KEY = 0x6665646175646974L;

    private final String urlPrefix;
    private final String binaryType;

    SqlDialect(String urlPrefix, String binaryType) {
        this.urlPrefix = urlPrefix;
        this.binaryType = binaryType;
    }

    /** The dialect of a JDBC URL; {@link IllegalArgumentException} naming the URLs supported otherwise. */
    public static SqlDialect forUrl(String jdbcUrl) {
        for (SqlDialect d : values()) {
            if (jdbcUrl.startsWith(d.urlPrefix)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unsupported store URL (" + jdbcUrl.split("[?;]", 2)[0]
                + "): use jdbc:postgresql://HOST:PORT/DATABASE or jdbc:h2:file:PATH");
    }

    /** The column type of byte strings, filled into the migrations' {@code ${binary}} placeholder. */
    String binaryType() {
        return binaryType;
    }

    /** An insert-or-replace of one row keyed by {@code key}, with one parameter per column in order. */
    abstract String upsert(String table, List<String> columns, List<String> key);

    /**
     * Holds, until the transaction ends, the lock that makes audit appends one at a time across every
     * process using the database (the chain links each entry to the one before).
     */
    abstract void lockAuditLog(Connection c) throws SQLException;

    /** An expression for the database's clock in Unix milliseconds: leases expire by it, whatever the hosts' clocks say. */
    abstract String nowMillis();

    private static String marks(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }
}
