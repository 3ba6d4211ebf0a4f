package io.fedlora.coordinator.strategy;

import io.fedlora.adapter.FlatAdapter;
import java.util.List;

/**
 * Federated averaging of deltas, weighted by example count:
 * {@code new = old + Σ wᵢΔᵢ / Σ wᵢ}, accumulated in double so the result does not depend on the
 * order updates arrived in beyond the final rounding to float.
 */
public final class FedAvg implements Strategy {

    @Override
    public float[] aggregate(FlatAdapter global, List<ClientUpdate> updates) {
        if (updates.isEmpty()) {
            throw new IllegalArgumentException("FedAvg needs at least one update");
        }
        float[] old = global.values();
        double[] acc = new double[old.length];
        double totalWeight = 0;
        for (ClientUpdate u : updates) {
            if (u.delta().length != old.length) {
                throw new IllegalArgumentException("update from " + u.nodeId() + " has " + u.delta().length
                        + " elements, the adapter has " + old.length);
            }
            if (u.numExamples() <= 0) {
                throw new IllegalArgumentException("update from " + u.nodeId() + " has non-positive weight");
            }
            double w = u.numExamples();
            float[] d = u.delta();
            for (int i = 0; i < acc.length; i++) {
                acc[i] += w * d[i];
            }
            totalWeight += w;
        }
        float[] out = new float[old.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (old[i] + acc[i] / totalWeight);
        }
        return out;
    }

    /** {@code new = old + mean}: the secure round's sum is already Σ wᵢΔᵢ / Σ wᵢ. */
    @Override
    public float[] applyMean(FlatAdapter global, float[] meanUpdate) {
        float[] old = global.values();
        if (meanUpdate.length != old.length) {
            throw new IllegalArgumentException("mean update has " + meanUpdate.length + " elements, the adapter has "
                    + old.length);
        }
        float[] out = new float[old.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = old[i] + meanUpdate[i];
        }
        return out;
    }
}
