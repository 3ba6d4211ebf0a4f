package io.fedlora.coordinator.strategy;

/** FedAdagrad (Reddi et al. 2021): {@code v_t = v_{t-1} + Δ_t²}. */
public final class FedAdagrad extends AdaptiveOptimizer {

    public FedAdagrad(double serverLr, double beta1, double tau, double proximalMu) {
        super(serverLr, beta1, tau, proximalMu);
    }

    @Override
    public String name() {
        return "fedadagrad";
    }

    @Override
    double secondMoment(double previous, double deltaSquared) {
        return previous + deltaSquared;
    }
}
