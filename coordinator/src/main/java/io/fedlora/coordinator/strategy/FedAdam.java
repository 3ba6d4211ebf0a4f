package io.fedlora.coordinator.strategy;

/** FedAdam (Reddi et al. 2021): {@code v_t = β2·v_{t-1} + (1-β2)·Δ_t²}. */
public final class FedAdam extends AdaptiveOptimizer {

    private final double beta2;

    public FedAdam(double serverLr, double beta1, double beta2, double tau, double proximalMu) {
        super(serverLr, beta1, tau, proximalMu);
        requireUnit("beta2", beta2);
        this.beta2 = beta2;
    }

    @Override
    public String name() {
        return "fedadam";
    }

    @Override
    double secondMoment(double previous, double deltaSquared) {
        return beta2 * previous + (1 - beta2) * deltaSquared;
    }
}
