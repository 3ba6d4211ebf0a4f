package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The frozen [out, in] weight of a base linear layer as a forward pass sees it: float32 as held, or
 * dequantised on use from a compact form. Never trained, never written.
 */
public interface FrozenWeight {

    Shape shape();

    /**
     * The weight as a float32 array usable in {@code scope}: the held array itself (not to be closed), or
     * a fresh one in {@code scope}, freed with it.
     */
    NDArray in(NDManager scope);

    /** Bytes of engine memory this weight holds while the model is loaded. */
    long residentBytes();

    /** A float32 weight held as is. */
    static FrozenWeight dense(NDArray weight) {
        return new FrozenWeight() {
            @Override
            public Shape shape() {
                return weight.getShape();
            }

            @Override
            public NDArray in(NDManager scope) {
                return weight;
            }

            @Override
            public long residentBytes() {
                return 4 * weight.getShape().size();
            }
        };
    }
}
