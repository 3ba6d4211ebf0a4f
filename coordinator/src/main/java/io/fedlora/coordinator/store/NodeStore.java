package io.fedlora.coordinator.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Registered client nodes and the metrics they report per round. */
public interface NodeStore {

    /** Inserts or replaces a node's registration. */
    void upsertNode(NodeRecord node);

    Optional<NodeRecord> node(String nodeId);

    List<NodeRecord> nodes();

    void touchNode(String nodeId, long lastSeenUnixMs);

    /** Metrics a node reported for a round (e.g. the epsilon it has spent); latest value per name wins. */
    void recordNodeMetrics(String jobId, int round, String nodeId, Map<String, Double> metrics, long reportedUnixMs);

    Map<String, Double> nodeMetrics(String jobId, int round, String nodeId);
}
