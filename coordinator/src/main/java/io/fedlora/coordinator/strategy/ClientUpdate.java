package io.fedlora.coordinator.strategy;

/**
 * One node's accepted update for a round: the delta vector and what it reported with it. Held in
 * memory only for the round; never persisted or logged ({@link #toString()} omits the values).
 */
public record ClientUpdate(String nodeId, float[] delta, long numExamples, double trainLoss, double trainSeconds) {

    @Override
    public String toString() {
        return "ClientUpdate[node=" + nodeId + ", elements=" + delta.length + ", examples=" + numExamples + "]";
    }
}
