package io.fedlora.coordinator.strategy;

import java.util.List;

/** The example-weighted mean of plaintext updates, {@code Σ wᵢΔᵢ / Σ wᵢ}, accumulated in double. */
final class WeightedMean {

    private WeightedMean() {}

    static float[] of(List<ClientUpdate> updates, int elements) {
        if (updates.isEmpty()) {
            throw new IllegalArgumentException("aggregation needs at least one update");
        }
        double[] acc = new double[elements];
        double totalWeight = 0;
        for (ClientUpdate u : updates) {
            if (u.delta().length != elements) {
                throw new IllegalArgumentException("update from " + u.nodeId() + " has " + u.delta().length
                        + " elements, the adapter has " + elements);
            }
            if (u.numExamples() <= 0) {
                throw new IllegalArgumentException("update from " + u.nodeId() + " has non-positive weight");
            }
            double w = u.numExamples();
            float[] d = u.delta();
            for (int i = 0; i < elements; i++) {
                acc[i] += w * d[i];
            }
            totalWeight += w;
        }
        float[] mean = new float[elements];
        for (int i = 0; i < elements; i++) {
            mean[i] = (float) (acc[i] / totalWeight);
        }
        return mean;
    }
}
