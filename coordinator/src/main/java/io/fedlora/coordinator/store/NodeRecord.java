package io.fedlora.coordinator.store;

import java.util.List;

/** A registered client node. {@code baseModels} are the sha256s of the base models it holds. */
public record NodeRecord(String nodeId, String nodeName, List<String> baseModels, long numExamples, String device,
        long lastSeenUnixMs) {

    public NodeRecord {
        baseModels = List.copyOf(baseModels);
    }

    public NodeRecord withLastSeen(long unixMs) {
        return new NodeRecord(nodeId, nodeName, baseModels, numExamples, device, unixMs);
    }
}
