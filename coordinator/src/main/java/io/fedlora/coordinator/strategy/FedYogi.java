package io.fedlora.coordinator.strategy;

/**
 * FedYogi (Reddi et al. 2021): {@code v_t = v_{t-1} − (1-β2)·Δ_t²·sign(v_{t-1} − Δ_t²)}, which
 * grows v as slowly as Adam shrinks it, so the effective step cannot jump when updates fade.
 */
public final class FedYogi extends AdaptiveOptimizer {

    private final double beta2;

    public FedYogi(double serverLr, double beta1, double beta2, double tau, double proximalMu) {
        super(serverLr, beta1, tau, proximalMu);
        requireUnit("beta2", beta2);
        this.beta2 = beta2;
    }

    @Override
    public String name() {
        return "fedyogi";
    }

    @Override
    double secondMoment(double previous, double deltaSquared) {
        return previous - (1 - beta2) * deltaSquared * Math.signum(previous - deltaSquared);
    }
}
