package io.fedlora.coordinator.strategy;

import io.fedlora.crypto.encoding.EvalScore;

/**
 * One node's accepted update for a round: the delta vector and what it reported with it (its
 * held-out score: null when it holds no held-out data). Held in memory only for the round; never
 * persisted or logged ({@link #toString()} omits the values).
 */
public record ClientUpdate(String nodeId, float[] delta, long numExamples, double trainLoss, double trainSeconds,
        EvalScore eval) {

    public ClientUpdate(String nodeId, float[] delta, long numExamples, double trainLoss, double trainSeconds) {
        this(nodeId, delta, numExamples, trainLoss, trainSeconds, null);
    }

    @Override
    public String toString() {
        return "ClientUpdate[node=" + nodeId + ", elements=" + delta.length + ", examples=" + numExamples + "]";
    }
}
