package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Creates arrays whose memory PyTorch owns. On CPU, DJL's {@code NDManager.create(float[])} wraps
 * a Java direct buffer without copying ({@code from_blob}); that memory is only as safe as the Java
 * wrapper, and trainable arrays made that way were seen to hold garbage (infinite gradients at
 * random steps). A clone right away gives an ordinary engine-owned tensor.
 */
public final class OwnedArrays {

    private OwnedArrays() {}

    public static NDArray of(NDManager m, float[] values, Shape shape) {
        try (NDArray view = m.create(values, shape)) {
            return view.duplicate();
        }
    }

    public static NDArray of(NDManager m, long[] values, Shape shape) {
        try (NDArray view = m.create(values, shape)) {
            return view.duplicate();
        }
    }

    /**
     * An engine-owned scalar, for arithmetic inside the autograd graph. Never {@code x.mul(float)}
     * there: DJL turns a Number operand into a tensor over a Java buffer that is freed after the op,
     * while autograd keeps it for the backward pass (garbage gradients about once in 100-400 passes).
     */
    public static NDArray scalar(NDManager m, float v) {
        return of(m, new float[] {v}, new Shape());
    }
}
