package io.fedlora.coordinator.store.jdbc;

import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.NodeStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Registered nodes and their reported metrics, in the tables {@code nodes} and {@code node_metrics}. */
final class JdbcNodeStore implements NodeStore {

    private static final List<String> NODE_COLUMNS = List.of("node_id", "node_name", "base_models", "num_examples",
            "device", "last_seen_ms", "identity_key");
    private static final List<String> METRIC_COLUMNS = List.of("job_id", "round", "node_id", "name", "metric_value",
            "reported_ms");

    private final Transactions tx;
    private final String upsertNode;
    private final String upsertMetric;

    JdbcNodeStore(Transactions tx) {
        this.tx = tx;
        this.upsertNode = tx.dialect().upsert("nodes", NODE_COLUMNS, List.of("node_id"));
        this.upsertMetric = tx.dialect().upsert("node_metrics", METRIC_COLUMNS, METRIC_COLUMNS.subList(0, 4));
    }

    @Override
    public void upsertNode(NodeRecord n) {
        tx.run("register node", sql -> sql.update(upsertNode, n.nodeId(), n.nodeName(), String.join(",", n.baseModels()),
                n.numExamples(), n.device(), n.lastSeenUnixMs(), n.identityKeyHex()));
    }

    @Override
    public Optional<NodeRecord> node(String nodeId) {
        return tx.run("read node", sql -> sql.queryOne("SELECT " + String.join(", ", NODE_COLUMNS)
                + " FROM nodes WHERE node_id = ?", JdbcNodeStore::node, nodeId));
    }

    @Override
    public List<NodeRecord> nodes() {
        return tx.run("list nodes", sql -> sql.query("SELECT " + String.join(", ", NODE_COLUMNS)
                + " FROM nodes ORDER BY node_name, node_id", JdbcNodeStore::node));
    }

    private static NodeRecord node(ResultSet rs) throws SQLException {
        String models = rs.getString("base_models");
        return new NodeRecord(rs.getString("node_id"), rs.getString("node_name"),
                models.isEmpty() ? List.of() : Arrays.asList(models.split(",")), rs.getLong("num_examples"),
                rs.getString("device"), rs.getLong("last_seen_ms"), rs.getString("identity_key"));
    }

    @Override
    public void touchNode(String nodeId, long lastSeenUnixMs) {
        tx.run("touch node", sql -> sql.update("UPDATE nodes SET last_seen_ms = ? WHERE node_id = ?", lastSeenUnixMs,
                nodeId));
    }

    @Override
    public void recordNodeMetrics(String jobId, int round, String nodeId, Map<String, Double> metrics,
            long reportedUnixMs) {
        tx.run("record node metrics", sql -> {
            for (var m : metrics.entrySet()) {
                sql.update(upsertMetric, jobId, round, nodeId, m.getKey(), m.getValue(), reportedUnixMs);
            }
            return null;
        });
    }

    @Override
    public Map<String, Double> nodeMetrics(String jobId, int round, String nodeId) {
        return tx.run("read node metrics", sql -> {
            Map<String, Double> out = new TreeMap<>();
            sql.query("SELECT name, metric_value FROM node_metrics WHERE job_id = ? AND round = ? AND node_id = ?",
                    rs -> out.put(rs.getString(1), rs.getDouble(2)), jobId, round, nodeId);
            return out;
        });
    }
}
