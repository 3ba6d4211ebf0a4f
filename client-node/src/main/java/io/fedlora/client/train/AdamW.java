package io.fedlora.client.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Adam with decoupled weight decay and bias correction (Loshchilov and Hutter), plus optional
 * clipping of the global gradient norm. Updates parameters in place after the gradient collector
 * has closed, then zeroes their gradients (the engine accumulates them otherwise).
 */
public final class AdamW implements AutoCloseable {

    private final List<NDArray> params;
    private final NDManager state;
    private final NDArray[] m;
    private final NDArray[] v;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final double clipNorm;
    private int t;
    private int skipped;
    private double lastNorm = Double.NaN;
    /** FedProx's term, when on: its gradient joins every step's. */
    private ProximalTerm proximal;

    /**
     * @param clipNorm global gradient-norm limit, or 0 for none
     */
    public AdamW(List<NDArray> params, NDManager parent, double beta1, double beta2, double eps, double weightDecay,
            double clipNorm) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("no parameters to optimise");
        }
        this.params = List.copyOf(params);
        this.state = parent.newSubManager();
        this.m = new NDArray[params.size()];
        this.v = new NDArray[params.size()];
        for (int i = 0; i < params.size(); i++) {
            m[i] = state.zeros(params.get(i).getShape());
            v[i] = state.zeros(params.get(i).getShape());
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.clipNorm = clipNorm;
    }

    /** The usual settings: betas (0.9, 0.999), eps 1e-8. */
    public static AdamW standard(List<NDArray> params, NDManager parent, double weightDecay, double clipNorm) {
        return new AdamW(params, parent, 0.9, 0.999, 1e-8, weightDecay, clipNorm);
    }

    /**
     * FedProx: from now on every step's gradient gains {@code μ·(w − w_start)}, the gradient of
     * {@code μ/2·‖w − w_start‖²}, {@code w_start} the parameters' values at this call. μ = 0 is off.
     */
    public AdamW withProximal(double mu) {
        if (t > 0) {
            throw new IllegalStateException("the proximal anchor is the start of training: set it before the first step");
        }
        if (mu == 0) {
            return this;
        }
        proximal = new ProximalTerm(mu, params, state);
        return this;
    }

    /** One update with learning rate {@code lr}; returns the gradient norm before clipping. */
    public double step(double lr) {
        try (NDManager scratch = state.newSubManager()) {
            NDArray[] g = new NDArray[params.size()];
            for (int i = 0; i < g.length; i++) {
                g[i] = params.get(i).getGradient();
                // Wrapper of the parameter's gradient; owned by scratch so every op on it lands there.
                g[i].attach(scratch);
            }
            return update(lr, g, scratch, true);
        }
    }

    /**
     * One update from gradients the caller computed (DP-SGD: clipped, summed and noised per-example
     * gradients), one per parameter in order and of its shape; the caller's arrays are not modified
     * and the parameters' own gradients are not read.
     */
    public double step(double lr, NDArray[] grads) {
        if (grads.length != params.size()) {
            throw new IllegalArgumentException(grads.length + " gradients for " + params.size() + " parameters");
        }
        try (NDManager scratch = state.newSubManager()) {
            NDArray[] g = new NDArray[grads.length];
            for (int i = 0; i < g.length; i++) {
                if (!grads[i].getShape().equals(params.get(i).getShape())) {
                    throw new IllegalArgumentException("gradient " + i + " has shape " + grads[i].getShape()
                            + ", parameter has " + params.get(i).getShape());
                }
                g[i] = scratch.zeros(grads[i].getShape()).addi(grads[i]);
            }
            return update(lr, g, scratch, false);
        }
    }

    private double update(double lr, NDArray[] g, NDManager scratch, boolean zeroGradients) {
        t++;
        if (proximal != null) {
            proximal.addGradient(g, scratch);
        }
        {
            double sq = 0;
            for (NDArray gi : g) {
                sq += gi.square().sum().getFloat();
            }
            double norm = Math.sqrt(sq);
            lastNorm = norm;
            if (!Double.isFinite(norm)) {
                // One overflowing batch must not poison the weights (or, via accumulation, later gradients).
                skipped++;
                t--;
                StringBuilder bad = new StringBuilder();
                for (int i = 0; i < g.length; i++) {
                    float n = g[i].square().sum().getFloat();
                    if (!Float.isFinite(n)) {
                        bad.append(i).append(':').append(params.get(i).getShape()).append(" nan=")
                                .append(g[i].isNaN().sum().getLong()).append(' ');
                    }
                }
                org.slf4j.LoggerFactory.getLogger(AdamW.class).warn("non-finite gradient in parameters {}", bad);
                for (NDArray gi : g) {
                    gi.set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
                }
                return norm;
            }
            float gradScale = clipNorm > 0 && norm > clipNorm ? (float) (clipNorm / norm) : 1f;
            double bc1 = 1 - Math.pow(beta1, t);
            double bc2 = 1 - Math.pow(beta2, t);
            for (int i = 0; i < g.length; i++) {
                NDArray p = params.get(i);
                NDArray gi = gradScale == 1f ? g[i] : g[i].mul(gradScale);
                // In-place ops with a Number operand create that scalar in the target's manager; pass
                // scalars made in scratch instead, so nothing accumulates in the state or model managers.
                m[i].muli(scalar(scratch, beta1)).addi(gi.mul((float) (1 - beta1)));
                v[i].muli(scalar(scratch, beta2)).addi(gi.square().muli((float) (1 - beta2)));
                NDArray denom = gi.zerosLike().addi(v[i]).divi((float) bc2).sqrt().addi((float) eps);
                NDArray update = gi.zerosLike().addi(m[i]).divi(denom).muli((float) (lr / bc1));
                if (weightDecay > 0) {
                    p.muli(scalar(scratch, 1 - lr * weightDecay));
                }
                p.subi(update);
                if (zeroGradients) {
                    g[i].muli(0f);
                }
            }
            return norm;
        }
    }

    private static NDArray scalar(NDManager m, double v) {
        return io.fedlora.client.model.OwnedArrays.scalar(m, (float) v);
    }

    public int steps() {
        return t;
    }

    /** Steps skipped because the gradient was not finite. */
    public int skippedSteps() {
        return skipped;
    }

    /** Global gradient norm (before clipping) of the last step. */
    public double lastGradientNorm() {
        return lastNorm;
    }

    @Override
    public void close() {
        state.close();
    }
}
