package io.fedlora.coordinator.store.jdbc;

import io.fedlora.coordinator.store.Lease;
import io.fedlora.coordinator.store.StoreException;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The check a fenced write makes in its own transaction: the lease row still names this holder at
 * this epoch. The row is locked until the write commits, so a takeover cannot slip in between the
 * check and the write; a takeover that committed first is seen, and the write refused.
 */
final class LeaseFence {

    /** Not fenced: the single-coordinator default. */
    static final LeaseFence NONE = new LeaseFence(null);

    private final Lease held;

    LeaseFence(Lease held) {
        this.held = held;
    }

    void check(Sql sql, String what) throws SQLException {
        if (held == null) {
            return;
        }
        Optional<String[]> now = sql.queryOne("SELECT holder, epoch FROM coordinator_lease WHERE name = ? FOR UPDATE",
                rs -> new String[] {rs.getString(1), Long.toString(rs.getLong(2))}, held.name());
        if (now.isEmpty() || !now.get()[0].equals(held.holder()) || Long.parseLong(now.get()[1]) != held.epoch()) {
            throw new StoreException.Fenced("refused to " + what + ": this coordinator's lease (epoch " + held.epoch()
                    + ") was taken over" + now.map(n -> " by " + n[0] + " (epoch " + n[1] + ")").orElse("")
                    + "; another coordinator is active");
        }
    }
}
