package io.fedlora.coordinator.store.jdbc;

import io.fedlora.coordinator.store.Lease;
import io.fedlora.coordinator.store.LeaseStore;
import io.fedlora.coordinator.store.StoreException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/** Leases in the table {@code coordinator_lease}, timed by the database's clock. */
final class JdbcLeaseStore implements LeaseStore {

    private static final String COLUMNS = "name, holder, holder_address, epoch, expires_ms";

    private final Transactions tx;
    private final String now;

    JdbcLeaseStore(Transactions tx) {
        this.tx = tx;
        this.now = tx.dialect().nowMillis();
    }

    @Override
    public Optional<Lease> acquireLease(String name, String holder, String holderAddress, Duration ttl) {
        try {
            return tx.run("take the lease " + name, sql -> {
                long t = sql.queryLong("SELECT " + now);
                Optional<Lease> current = sql.queryOne("SELECT " + COLUMNS + " FROM coordinator_lease WHERE name = ?"
                        + " FOR UPDATE", JdbcLeaseStore::lease, name);
                Lease taken;
                if (current.isEmpty()) {
                    taken = new Lease(name, holder, holderAddress, 1, t + ttl.toMillis());
                    sql.update("INSERT INTO coordinator_lease (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?)", name, holder,
                            holderAddress, taken.epoch(), taken.expiresUnixMs());
                    return Optional.of(taken);
                }
                Lease c = current.get();
                if (!c.holder().equals(holder) && c.expiresUnixMs() > t) {
                    return Optional.empty();
                }
                // A new holding, even by the same holder after a restart: its old self may still be paused.
                taken = new Lease(name, holder, holderAddress, c.epoch() + 1, t + ttl.toMillis());
                sql.update("UPDATE coordinator_lease SET holder = ?, holder_address = ?, epoch = ?, expires_ms = ?"
                        + " WHERE name = ?", holder, holderAddress, taken.epoch(), taken.expiresUnixMs(), name);
                return Optional.of(taken);
            });
        } catch (StoreException e) {
            if (Transactions.isUniqueViolation(e)) {
                return Optional.empty(); // another coordinator created the row first
            }
            throw e;
        }
    }

    @Override
    public boolean renewLease(Lease held, Duration ttl) {
        return tx.run("renew the lease " + held.name(), sql -> sql.update("UPDATE coordinator_lease SET expires_ms = "
                + now + " + ? WHERE name = ? AND holder = ? AND epoch = ?", ttl.toMillis(), held.name(), held.holder(),
                held.epoch()) == 1);
    }

    @Override
    public void releaseLease(Lease held) {
        tx.run("release the lease " + held.name(), sql -> sql.update("UPDATE coordinator_lease SET expires_ms = 0"
                + " WHERE name = ? AND holder = ? AND epoch = ?", held.name(), held.holder(), held.epoch()));
    }

    @Override
    public Optional<Lease> lease(String name) {
        return tx.run("read the lease " + name, sql -> sql.queryOne("SELECT " + COLUMNS
                + " FROM coordinator_lease WHERE name = ?", JdbcLeaseStore::lease, name));
    }

    @Override
    public void fenceWith(Lease held) {
        tx.fenceWith(new LeaseFence(held));
    }

    private static Lease lease(ResultSet rs) throws SQLException {
        return new Lease(rs.getString("name"), rs.getString("holder"), rs.getString("holder_address"),
                rs.getLong("epoch"), rs.getLong("expires_ms"));
    }
}
