package io.fedlora.coordinator.strategy;

import java.util.List;

/**
 * FedAvg with server momentum (Hsu et al. 2019): {@code v_t = β·v_{t-1} + Δ_t},
 * {@code x_{t+1} = x_t + η·v_t}, {@code v_{-1} = 0}.
 */
public final class FedAvgM extends MeanUpdateStrategy {

    private final double serverLr;
    private final double momentum;
    private float[] velocity;

    public FedAvgM(double serverLr, double momentum, double proximalMu) {
        super(proximalMu);
        requirePositive("server_lr", serverLr);
        requireUnit("server_momentum", momentum);
        this.serverLr = serverLr;
        this.momentum = momentum;
    }

    @Override
    public String name() {
        return "fedavgm";
    }

    @Override
    float[] step(float[] x, float[] delta) {
        float[] v = velocity == null ? new float[x.length] : velocity;
        if (v.length != x.length) {
            throw new IllegalStateException("fedavgm state has " + v.length + " elements, the adapter has " + x.length);
        }
        float[] nextV = new float[x.length];
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            nextV[i] = (float) (momentum * v[i] + delta[i]);
            out[i] = (float) (x[i] + serverLr * nextV[i]);
        }
        velocity = nextV;
        return out;
    }

    @Override
    public byte[] state() {
        return velocity == null ? new byte[0] : StrategyState.encode(name(), List.of(velocity));
    }

    @Override
    public void restoreState(byte[] state) {
        velocity = state.length == 0 ? null : StrategyState.decode(name(), 1, state).get(0);
    }
}
