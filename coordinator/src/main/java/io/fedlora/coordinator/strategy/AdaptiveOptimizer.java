package io.fedlora.coordinator.strategy;

import java.util.List;

/**
 * The adaptive server optimizers of Reddi et al., "Adaptive Federated Optimization" (ICLR 2021),
 * Algorithm 2: {@code m_t = β1·m_{t-1} + (1-β1)·Δ_t}, a second moment {@code v_t} per subclass, and
 * {@code x_{t+1} = x_t + η·m_t / (√v_t + τ)}, with {@code m_{-1} = 0} and {@code v_{-1} = τ²} (the
 * paper's lower bound). No bias correction, as in the paper.
 */
abstract class AdaptiveOptimizer extends MeanUpdateStrategy {

    private final double serverLr;
    private final double beta1;
    private final double tau;
    private float[] m;
    private float[] v;

    AdaptiveOptimizer(double serverLr, double beta1, double tau, double proximalMu) {
        super(proximalMu);
        requirePositive("server_lr", serverLr);
        requireUnit("beta1", beta1);
        requirePositive("tau", tau);
        this.serverLr = serverLr;
        this.beta1 = beta1;
        this.tau = tau;
    }

    /** {@code v_t} from {@code v_{t-1}} and {@code Δ_t²} (one element). */
    abstract double secondMoment(double previous, double deltaSquared);

    @Override
    final float[] step(float[] x, float[] delta) {
        if (m == null) {
            m = new float[x.length];
            v = new float[x.length];
            java.util.Arrays.fill(v, (float) (tau * tau));
        }
        if (m.length != x.length) {
            throw new IllegalStateException(name() + " state has " + m.length + " elements, the adapter has " + x.length);
        }
        float[] nextM = new float[x.length];
        float[] nextV = new float[x.length];
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double d = delta[i];
            nextM[i] = (float) (beta1 * m[i] + (1 - beta1) * d);
            nextV[i] = (float) secondMoment(v[i], d * d);
            out[i] = (float) (x[i] + serverLr * nextM[i] / (Math.sqrt(nextV[i]) + tau));
        }
        m = nextM;
        v = nextV;
        return out;
    }

    @Override
    public final byte[] state() {
        return m == null ? new byte[0] : StrategyState.encode(name(), List.of(m, v));
    }

    @Override
    public final void restoreState(byte[] state) {
        if (state.length == 0) {
            m = null;
            v = null;
            return;
        }
        List<float[]> arrays = StrategyState.decode(name(), 2, state);
        if (arrays.get(0).length != arrays.get(1).length) {
            throw new IllegalArgumentException(name() + " state: moments of different lengths");
        }
        m = arrays.get(0);
        v = arrays.get(1);
    }
}
