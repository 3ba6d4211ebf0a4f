package io.fedlora.coordinator.store;

import java.util.List;

/**
 * A registered client node. {@code baseModels} are the sha256s of the base models it holds;
 * {@code identityKeyHex} is its Ed25519 public key (hex; empty for a node that registered without
 * one, which cannot take part in secure rounds).
 */
public record NodeRecord(String nodeId, String nodeName, List<String> baseModels, long numExamples, String device,
        long lastSeenUnixMs, String identityKeyHex) {

    public NodeRecord {
        baseModels = List.copyOf(baseModels);
        identityKeyHex = identityKeyHex == null ? "" : identityKeyHex;
    }

    public NodeRecord(String nodeId, String nodeName, List<String> baseModels, long numExamples, String device,
            long lastSeenUnixMs) {
        this(nodeId, nodeName, baseModels, numExamples, device, lastSeenUnixMs, "");
    }

    public NodeRecord withLastSeen(long unixMs) {
        return new NodeRecord(nodeId, nodeName, baseModels, numExamples, device, unixMs, identityKeyHex);
    }

    public boolean hasIdentityKey() {
        return !identityKeyHex.isEmpty();
    }
}
