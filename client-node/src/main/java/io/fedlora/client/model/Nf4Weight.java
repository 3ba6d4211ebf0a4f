package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An {@link Nf4} weight held in the engine (codes as uint8 pairs, int8 block scales, float32 group
 * scales) and dequantised to float32 in the engine each time a forward pass uses it: the full-precision
 * weight exists only while that pass needs it.
 *
 * <p>The dequantised weight is a constant to autograd (detached, no gradient function): a training step
 * keeps exactly one float32 copy per use, the one the matmul saves to form dL/dx, and none of the
 * lookup or scaling temporaries. DJL has no custom-autograd hook, so the copy cannot be dropped and
 * re-dequantised in backward as bitsandbytes' 4-bit matmul does.
 */
final class Nf4Weight implements FrozenWeight {

    private final Shape shape;
    private final long length;
    private final int blocks;
    private final float scaleOffset;
    private final NDArray packed;
    private final NDArray scales;
    private final NDArray groupScales;
    private final NDArray codePairs;
    private final long bytes;

    /** @param codePairs {@link #codePairs} made once per model */
    Nf4Weight(Nf4.Tensor t, NDArray codePairs, NDManager m) {
        this.shape = new Shape(t.shape());
        this.length = t.length();
        this.blocks = t.blocks();
        this.scaleOffset = t.scaleOffset();
        this.packed = owned(m, t.packed(), DataType.UINT8);
        this.scales = owned(m, t.scales(), DataType.INT8);
        this.groupScales = OwnedArrays.of(m, t.groupScales(), new Shape(t.groupScales().length));
        this.codePairs = codePairs;
        this.bytes = t.bytes();
    }

    /**
     * The [256, 2] table from a packed byte to the code values of its high and its low nibble, in that
     * order: one lookup per byte yields both values of the pair.
     */
    static NDArray codePairs(NDManager m) {
        float[] pairs = new float[512];
        for (int b = 0; b < 256; b++) {
            pairs[2 * b] = Nf4.CODES[b >>> 4];
            pairs[2 * b + 1] = Nf4.CODES[b & 0x0f];
        }
        return OwnedArrays.of(m, pairs, new Shape(256, 2));
    }

    private static NDArray owned(NDManager m, byte[] values, DataType type) {
        ByteBuffer buf = ByteBuffer.allocateDirect(values.length).order(ByteOrder.nativeOrder());
        buf.put(values).flip();
        try (NDArray view = m.create(buf, new Shape(values.length), type)) {
            return view.duplicate();
        }
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public long residentBytes() {
        return bytes;
    }

    @Override
    public NDArray in(NDManager scope) {
        try (NDManager tmp = scope.newSubManager()) {
            // int32, not int64, indices: the only temporary besides the result is half the weight's size.
            NDArray index = packed.toType(DataType.INT32, true);
            index.attach(tmp);
            NDArray values = Embedding.embedding(index, codePairs, SparseFormat.DENSE).head(); // [n/2, 2]
            values.attach(tmp);
            NDArray blockScale = scales.toType(DataType.FLOAT32, true);
            blockScale.attach(tmp);
            NDArray perBlock = groupScales.repeat(0, Nf4.SCALE_GROUP);
            perBlock.attach(tmp);
            NDArray absmax = blockScale.mul(perBlock.get("0:{}", blocks)).div(127f).add(scaleOffset);
            NDArray flat = values.reshape(blocks, Nf4.BLOCK).muli(absmax.reshape(blocks, 1)).reshape(-1);
            NDArray w = (flat.getShape().get(0) == length ? flat : flat.get("0:{}", length)).reshape(shape)
                    .stopGradient();
            w.attach(scope);
            return w;
        }
    }
}
