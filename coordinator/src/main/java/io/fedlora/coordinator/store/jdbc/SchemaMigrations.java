package io.fedlora.coordinator.store.jdbc;

import io.fedlora.coordinator.store.StoreException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a store's schema up to date with Flyway: the same migrations for H2 and PostgreSQL (the one
 * type that differs filled in by placeholder), and the audit chain's in Java. A store made before
 * Flyway, with the hand-kept table {@code schema_version}, is taken over: Flyway's history starts at
 * that version (its rows untouched) and the old table is dropped.
 */
final class SchemaMigrations {

    private static final Logger log = LoggerFactory.getLogger(SchemaMigrations.class);
    static final String LOCATION = "classpath:io/fedlora/coordinator/store/migration";
    private static final String LEGACY_TABLE = "schema_version";

    private SchemaMigrations() {}

    /** Migrates the schema behind {@code pool}; returns the version it is at afterwards. */
    static String migrate(DataSource pool, SqlDialect dialect) {
        try {
            Optional<Integer> legacy = legacyVersion(pool);
            var config = Flyway.configure().dataSource(pool).locations(LOCATION)
                    .placeholders(Map.of("binary", dialect.binaryType()))
                    .javaMigrations(new AuditChainMigration())
                    .validateMigrationNaming(true);
            legacy.ifPresent(v -> config.baselineOnMigrate(true).baselineVersion(MigrationVersion.fromVersion("" + v))
                    .baselineDescription("taken over from schema_version " + v));
            Flyway flyway = config.load();
            refuseNewerSchema(flyway.info());
            MigrateResult result = flyway.migrate();
            if (legacy.isPresent()) {
                dropLegacyTable(pool);
                log.info("store schema: taken over from the hand-kept schema_version {}", legacy.get());
            }
            String now = result.targetSchemaVersion != null ? result.targetSchemaVersion
                    : java.util.Objects.requireNonNullElse(result.initialSchemaVersion, "none");
            if (result.migrationsExecuted > 0) {
                log.info("store schema: {} migration(s) applied, now at version {}", result.migrationsExecuted, now);
            }
            return now;
        } catch (FlywayException e) {
            throw new StoreException("cannot bring the store's schema up to date: " + e.getMessage(), e);
        } catch (SQLException e) {
            throw new StoreException("cannot read the store's schema version (SQLSTATE " + e.getSQLState() + ")", e);
        }
    }

    /** A coordinator older than its store would misread it: refuse, as the hand-kept versions did. */
    private static void refuseNewerSchema(MigrationInfoService info) {
        MigrationInfo[] applied = info.applied();
        for (MigrationInfo m : applied) {
            if (m.getState().name().startsWith("FUTURE")) {
                throw new StoreException("the store's schema (version " + applied[applied.length - 1].getVersion()
                        + ") is newer than this coordinator's (" + latestKnown(info) + "); run a newer coordinator");
            }
        }
    }

    private static String latestKnown(MigrationInfoService info) {
        String latest = "none";
        for (MigrationInfo m : info.all()) {
            if (!m.getState().name().startsWith("FUTURE") && m.getVersion() != null) {
                latest = m.getVersion().getVersion();
            }
        }
        return latest;
    }

    /**
     * The version in the pre-Flyway table, when there is one. Once Flyway's history exists the old
     * table is only a leftover (a takeover interrupted before the drop), and its version is ignored.
     */
    private static Optional<Integer> legacyVersion(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection()) {
            if (!hasTable(c, LEGACY_TABLE)) {
                return Optional.empty();
            }
            if (hasTable(c, "flyway_schema_history")) {
                dropLegacyTable(c);
                return Optional.empty();
            }
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT MAX(version) FROM " + LEGACY_TABLE)) {
                rs.next();
                return Optional.of(rs.getInt(1));
            }
        }
    }

    private static boolean hasTable(Connection c, String name) throws SQLException {
        // H2 folds unquoted names to upper case, PostgreSQL to lower case.
        for (String n : new String[] {name, name.toUpperCase(java.util.Locale.ROOT)}) {
            try (ResultSet rs = c.getMetaData().getTables(null, c.getSchema(), n, new String[] {"TABLE"})) {
                if (rs.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void dropLegacyTable(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection()) {
            dropLegacyTable(c);
        }
    }

    private static void dropLegacyTable(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE " + LEGACY_TABLE);
        }
    }
}
