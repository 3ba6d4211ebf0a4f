package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An {@link Nf4} weight held in the engine (codes as uint8 pairs, int8 block scales, float32 group
 * scales) and dequantised to float32 in the engine each time a forward pass uses it: the full-precision
 * weight exists only while that pass needs it.
 */
final class Nf4Weight implements FrozenWeight {

    private final Shape shape;
    private final long length;
    private final int blocks;
    private final float scaleOffset;
    private final NDArray packed;
    private final NDArray scales;
    private final NDArray groupScales;
    private final NDArray highCodes;
    private final NDArray lowCodes;
    private final long bytes;

    /**
     * @param codeTables {@link #codeTables} made once per model: the code of a byte's high and of its low
     *     nibble, for each of the 256 bytes
     */
    Nf4Weight(Nf4.Tensor t, NDArray[] codeTables, NDManager m) {
        this.shape = new Shape(t.shape());
        this.length = t.length();
        this.blocks = t.blocks();
        this.scaleOffset = t.scaleOffset();
        this.packed = owned(m, t.packed(), DataType.UINT8);
        this.scales = owned(m, t.scales(), DataType.INT8);
        this.groupScales = OwnedArrays.of(m, t.groupScales(), new Shape(t.groupScales().length));
        this.highCodes = codeTables[0];
        this.lowCodes = codeTables[1];
        this.bytes = t.bytes();
    }

    /** The two 256-entry lookup tables from a packed byte to its high and low nibble's code value. */
    static NDArray[] codeTables(NDManager m) {
        float[] high = new float[256];
        float[] low = new float[256];
        for (int b = 0; b < 256; b++) {
            high[b] = Nf4.CODES[b >>> 4];
            low[b] = Nf4.CODES[b & 0x0f];
        }
        return new NDArray[] {OwnedArrays.of(m, high, new Shape(256)), OwnedArrays.of(m, low, new Shape(256))};
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
            NDArray index = packed.toType(DataType.INT64, true);
            index.attach(tmp);
            NDArray pairs = highCodes.take(tmp, index).stack(lowCodes.take(tmp, index), 1); // [n/2, 2]
            NDArray blockScale = scales.toType(DataType.FLOAT32, true);
            blockScale.attach(tmp);
            NDArray perBlock = groupScales.repeat(0, Nf4.SCALE_GROUP);
            perBlock.attach(tmp);
            NDArray absmax = blockScale.mul(perBlock.get("0:{}", blocks)).div(127f).add(scaleOffset);
            NDArray flat = pairs.reshape(blocks, Nf4.BLOCK).mul(absmax.reshape(blocks, 1)).reshape(-1);
            NDArray w = (flat.getShape().get(0) == length ? flat : flat.get("0:{}", length)).reshape(shape);
            w.attach(scope);
            return w;
        }
    }
}
