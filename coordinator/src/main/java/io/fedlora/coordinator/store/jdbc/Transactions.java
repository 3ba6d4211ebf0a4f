package io.fedlora.coordinator.store.jdbc;

import io.fedlora.coordinator.store.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Runs units of store work, each in its own transaction on a pooled connection. */
final class Transactions {

    /** SQLSTATE of a unique or primary key violation, the same on H2 and PostgreSQL. */
    static final String UNIQUE_VIOLATION = "23505";

    @FunctionalInterface
    interface Work<T> {
        T run(Sql sql) throws SQLException;
    }

    private final DataSource pool;
    private final SqlDialect dialect;
    private volatile boolean closed;
    private volatile LeaseFence fence = LeaseFence.NONE;

    Transactions(DataSource pool, SqlDialect dialect) {
        this.pool = pool;
        this.dialect = dialect;
    }

    SqlDialect dialect() {
        return dialect;
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    <T> T run(String what, Work<T> work) {
        if (closed) {
            // Late callers during shutdown (e.g. a stream's cancel handler) fail here, without a
            // connection attempt that would log a pool error or leave an H2 trace file behind.
            throw new StoreException("store is closed; cannot " + what);
        }
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T t = work.run(new Sql(c));
                c.commit();
                return t;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException broken) {
                    e.addSuppressed(broken); // the connection died: report what failed first
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("store failed to " + what + (e.getSQLState() == null ? ""
                    : " (SQLSTATE " + e.getSQLState() + ")"), e);
        }
    }

    /**
     * As {@link #run}, for job and round writes: once the store is fenced with a lease, the transaction
     * first checks (holding the lease row's lock until it commits) that the lease is still ours.
     */
    <T> T runFenced(String what, Work<T> work) {
        LeaseFence f = fence;
        return run(what, sql -> {
            f.check(sql, what);
            return work.run(sql);
        });
    }

    void fenceWith(LeaseFence f) {
        fence = f;
    }

    /** Whether {@code e} (from {@link #run}) was caused by a duplicate key. */
    static boolean isUniqueViolation(StoreException e) {
        return e.getCause() instanceof SQLException s && UNIQUE_VIOLATION.equals(s.getSQLState());
    }

    boolean isClosed() {
        return closed;
    }

    /** Refuses work from now on; the pool itself is closed by its owner. */
    void close() {
        closed = true;
    }
}
