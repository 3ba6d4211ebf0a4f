package io.fedlora.coordinator.store.jdbc;

import io.fedlora.coordinator.store.AuditChain;
import io.fedlora.coordinator.store.AuditRecord;
import java.sql.SQLException;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * Schema version 5: the audit log's hash chain. The columns are added in SQL; the entries already
 * there are chained here, in order, since the hash ({@link AuditChain}) is computed in Java.
 */
final class AuditChainMigration implements JavaMigration {

    @Override
    public MigrationVersion getVersion() {
        return MigrationVersion.fromVersion("5");
    }

    @Override
    public String getDescription() {
        return "audit chain";
    }

    @Override
    public Integer getChecksum() {
        return null;
    }

    @Override
    public boolean canExecuteInTransaction() {
        return true;
    }

    @Override
    public void migrate(Context context) throws SQLException {
        Sql sql = new Sql(context.getConnection());
        sql.update("ALTER TABLE audit_log ADD COLUMN previous_hash VARCHAR(64) DEFAULT '' NOT NULL");
        sql.update("ALTER TABLE audit_log ADD COLUMN entry_hash VARCHAR(64) DEFAULT '' NOT NULL");
        String previous = AuditChain.GENESIS;
        for (AuditRecord e : sql.query("SELECT " + JdbcAuditStore.COLUMNS + " FROM audit_log ORDER BY seq",
                JdbcAuditStore::entry)) {
            String h = AuditChain.hash(previous, e.seq(), e);
            sql.update("UPDATE audit_log SET previous_hash = ?, entry_hash = ? WHERE seq = ?", previous, h, e.seq());
            previous = h;
        }
    }
}
