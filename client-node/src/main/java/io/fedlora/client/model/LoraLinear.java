package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;

/**
 * A frozen linear layer W [out, in] (optional bias) with a LoRA update:
 * {@code y = x·Wᵀ + b + scale·(dropout(x)·Aᵀ)·Bᵀ}, A [r, in], B [out, r], {@code scale = alpha / r}.
 *
 * <p>Held as plain NDArrays rather than a DJL {@code Block}: the trainer decides per round which of
 * A and B require gradients (exact mode freezes A), and the arrays are exchanged with the flat
 * PEFT-layout adapter every round, which a Block's parameter store would only get in the way of.
 * The base weight is borrowed from the model and never written.
 */
public final class LoraLinear {

    private final FrozenWeight weight;
    private final NDArray bias;
    private final NDArray a;
    private final NDArray b;
    private final float scale;
    private final float dropout;

    public LoraLinear(FrozenWeight weight, NDArray bias, NDArray a, NDArray b, double alpha, double dropout) {
        long r = a.getShape().get(0);
        if (a.getShape().dimension() != 2 || b.getShape().dimension() != 2 || b.getShape().get(1) != r
                || a.getShape().get(1) != weight.shape().get(1) || b.getShape().get(0) != weight.shape().get(0)) {
            throw new IllegalArgumentException("LoRA shapes A " + a.getShape() + ", B " + b.getShape()
                    + " do not fit base weight " + weight.shape());
        }
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
        }
        this.weight = weight;
        this.bias = bias;
        this.a = a;
        this.b = b;
        this.scale = (float) (alpha / r);
        this.dropout = (float) dropout;
    }

    /** x [..., in] to [..., out]; results land in x's manager. Dropout applies only when training. */
    public NDArray forward(NDArray x, boolean training) {
        NDArray w = weight.in(x.getManager());
        NDArray base = bias == null ? Linear.linear(x, w).head() : Linear.linear(x, w, bias).head();
        NDArray in = training && dropout > 0 ? Dropout.dropout(x, dropout, true).head() : x;
        NDArray low = Linear.linear(in, a).head();
        NDArray lowRank = Linear.linear(low, b).head();
        return base.add(lowRank.mul(OwnedArrays.scalar(lowRank.getManager(), (float) scale)));
    }

    /** {@code W + scale·B·A}, a new array in {@code into}: the layer with the adapter folded in. */
    public NDArray merge(NDManager into) {
        // Start from an array owned by {@code into} so every result lands there, not in B's manager.
        try (NDManager scratch = into.newSubManager()) {
            NDArray merged = scratch.zeros(b.getShape()).add(b).matMul(a).mul(scale).add(weight.in(scratch));
            merged.attach(into);
            return merged;
        }
    }

    public NDArray a() {
        return a;
    }

    public NDArray b() {
        return b;
    }

    public FrozenWeight weight() {
        return weight;
    }

    public float scale() {
        return scale;
    }
}
