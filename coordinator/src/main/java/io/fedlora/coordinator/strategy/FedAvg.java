package io.fedlora.coordinator.strategy;

/**
 * Federated averaging: {@code x_{t+1} = x_t + η·Δ_t}, Δ the example-weighted mean of the deltas
 * (η = 1 is McMahan et al.'s FedAvg). Stateless.
 */
public final class FedAvg extends MeanUpdateStrategy {

    private final double serverLr;

    public FedAvg() {
        this(1.0, 0.0);
    }

    public FedAvg(double serverLr, double proximalMu) {
        super(proximalMu);
        requirePositive("server_lr", serverLr);
        this.serverLr = serverLr;
    }

    @Override
    public String name() {
        return "fedavg";
    }

    @Override
    float[] step(float[] x, float[] delta) {
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = serverLr == 1.0 ? x[i] + delta[i] : (float) (x[i] + serverLr * delta[i]);
        }
        return out;
    }
}
