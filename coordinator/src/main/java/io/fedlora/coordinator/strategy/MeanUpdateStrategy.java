package io.fedlora.coordinator.strategy;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.proto.v1.TrainingConfig;

/**
 * A strategy whose server step acts on the round's mean update only, so it runs unchanged under
 * secure aggregation and client-level DP. Carries the FedProx weight μ every client is sent.
 */
abstract class MeanUpdateStrategy implements Strategy {

    private final double proximalMu;

    MeanUpdateStrategy(double proximalMu) {
        if (!(proximalMu >= 0) || !Double.isFinite(proximalMu)) {
            throw new IllegalArgumentException("fedprox_mu must be a finite number >= 0, got " + proximalMu);
        }
        this.proximalMu = proximalMu;
    }

    @Override
    public final TrainingConfig configureFit(TrainingConfig jobTraining) {
        return jobTraining.toBuilder().setProximalMu(proximalMu).build();
    }

    @Override
    public final float[] applyMean(FlatAdapter global, float[] meanUpdate) {
        float[] x = global.values();
        if (meanUpdate.length != x.length) {
            throw new IllegalArgumentException("mean update has " + meanUpdate.length + " elements, the adapter has "
                    + x.length);
        }
        return step(x, meanUpdate);
    }

    /** The next global values {@code x_{t+1}} from {@code x_t} and the mean update {@code Δ_t}; modifies neither. */
    abstract float[] step(float[] x, float[] delta);

    static void requireUnit(String field, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(field + " must be in [0, 1), got " + v);
        }
    }

    static void requirePositive(String field, double v) {
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(field + " must be a finite number > 0, got " + v);
        }
    }
}
