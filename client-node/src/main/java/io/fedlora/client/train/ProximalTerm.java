package io.fedlora.client.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedlora.client.model.OwnedArrays;
import java.util.List;

/**
 * FedProx (Li et al. 2020): {@code μ/2·‖w − w_global‖²} added to the local loss, {@code w_global}
 * the trainable tensors' values when the round started (the global adapter). It contributes
 * {@code μ·(w − w_global)} to each gradient. It reads no data, so adding it after DP-SGD's clipping
 * and noise keeps the DP guarantee (post-processing of the private iterate and the public global).
 */
final class ProximalTerm implements AutoCloseable {

    private final double mu;
    private final List<NDArray> params;
    private final NDManager anchors;
    private final NDArray[] start;

    /** Snapshots {@code params}' current values as {@code w_global}, in a sub-manager of {@code parent}. */
    ProximalTerm(double mu, List<NDArray> params, NDManager parent) {
        if (!(mu > 0) || !Double.isFinite(mu)) {
            throw new IllegalArgumentException("proximal_mu must be a finite number > 0, got " + mu);
        }
        this.mu = mu;
        this.params = List.copyOf(params);
        this.anchors = parent.newSubManager();
        this.start = new NDArray[params.size()];
        for (int i = 0; i < start.length; i++) {
            // A host copy, once a round: no autograd link to the parameter, and nothing left in its manager.
            NDArray p = params.get(i);
            start[i] = OwnedArrays.of(anchors, p.toFloatArray(), p.getShape());
        }
    }

    double mu() {
        return mu;
    }

    /** Adds {@code μ·(w − w_global)} to {@code grads} (one per parameter, in order), with temporaries in {@code scratch}. */
    void addGradient(NDArray[] grads, NDManager scratch) {
        NDArray scale = OwnedArrays.scalar(scratch, (float) mu);
        for (int i = 0; i < grads.length; i++) {
            // The first operand is made in scratch so every intermediate lands there.
            grads[i].addi(scratch.zeros(start[i].getShape()).addi(params.get(i)).subi(start[i]).muli(scale));
        }
    }

    /** The term's value {@code μ/2·‖w − w_global‖²}. */
    double value(NDManager scratch) {
        double sq = 0;
        for (int i = 0; i < start.length; i++) {
            sq += scratch.zeros(start[i].getShape()).addi(params.get(i)).subi(start[i]).square().sum().getFloat();
        }
        return mu / 2 * sq;
    }

    @Override
    public void close() {
        anchors.close();
    }
}
