package io.fedlora.client.model;

import java.util.Arrays;

/**
 * 4-bit NormalFloat quantisation (Dettmers et al., "QLoRA", 2023): each block of {@value #BLOCK}
 * consecutive values of a row-major weight is scaled by its absolute maximum and every value rounded
 * to the nearest of the 16 {@link #CODES}, two codes to a byte (the first value of a pair in the high
 * nibble). The per-block absmax scales are themselves quantised ("double quantisation"): their mean is
 * subtracted and each group of {@value #SCALE_GROUP} is stored as int8 against that group's absmax, so
 * a weight costs 4 + 8/64 + 32/(64·256) ≈ 4.13 bits instead of 32.
 *
 * <p>The second level is symmetric linear int8 where the paper uses 8-bit floats: the same memory,
 * and its error (at most 1/254 of a group's spread of scales) is far below NF4's own rounding.
 */
public final class Nf4 {

    public static final int BLOCK = 64;
    public static final int SCALE_GROUP = 256;

    /**
     * The NF4 data type: quantiles of N(0, 1) normalised to [-1, 1], with an exact zero; the values
     * published with QLoRA (bitsandbytes' {@code NF4} table), as float32.
     */
    static final float[] CODES = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    /** Decision boundaries: a normalised value above MIDPOINTS[i] rounds to code i + 1 or higher. */
    private static final float[] MIDPOINTS = new float[15];

    static {
        for (int i = 0; i < 15; i++) {
            MIDPOINTS[i] = (CODES[i] + CODES[i + 1]) / 2;
        }
    }

    private Nf4() {}

    /** A copy of the 16 code values. */
    public static float[] codes() {
        return CODES.clone();
    }

    /** The index of the code nearest to {@code normalised} (a value in [-1, 1]). */
    static int nearest(float normalised) {
        int i = Arrays.binarySearch(MIDPOINTS, normalised);
        return i >= 0 ? i + 1 : -i - 1; // on a midpoint exactly: the upper code
    }

    /**
     * A weight of {@code length} values, quantised. {@code packed} holds ceil(length/2) bytes of codes
     * (the last block is padded with zeros), {@code scales} one int8 per block, {@code groupScales} one
     * float per {@value #SCALE_GROUP} blocks, {@code scaleOffset} the mean absmax added back.
     */
    public record Tensor(long[] shape, long length, byte[] packed, byte[] scales, float[] groupScales,
            float scaleOffset) {

        public int blocks() {
            return scales.length;
        }

        /** Bytes held: the codes, the int8 scales and the group scales. */
        public long bytes() {
            return packed.length + scales.length + 4L * groupScales.length + 4;
        }

        /** The block absmax values as dequantised from the int8 scales. */
        public float[] absmax() {
            float[] out = new float[scales.length];
            for (int b = 0; b < out.length; b++) {
                out[b] = scales[b] * groupScales[b / SCALE_GROUP] / 127f + scaleOffset;
            }
            return out;
        }

        /** The dequantised weight, row-major (for tests and exports; the forward pass dequantises in the engine). */
        public float[] dequantize() {
            float[] absmax = absmax();
            float[] out = new float[Math.toIntExact(length)];
            for (int i = 0; i < out.length; i++) {
                int pair = packed[i >> 1] & 0xff;
                int code = (i & 1) == 0 ? pair >>> 4 : pair & 0x0f;
                out[i] = CODES[code] * absmax[i / BLOCK];
            }
            return out;
        }
    }

    /** Quantises a whole row-major weight (see {@link Quantizer} to do it block by block as it is read). */
    public static Tensor quantize(float[] values, long[] shape) {
        Quantizer q = new Quantizer(shape);
        q.accept(values, 0, values.length);
        return q.finish();
    }

    /** Quantises a weight streamed in pieces of any size, in row-major order. */
    public static final class Quantizer {

        private final long[] shape;
        private final long length;
        private final byte[] packed;
        private final float[] absmax;
        private final float[] block = new float[BLOCK];
        private int inBlock;
        private int blocksDone;
        private long seen;

        public Quantizer(long[] shape) {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            this.shape = shape.clone();
            this.length = n;
            long blocks = (n + BLOCK - 1) / BLOCK;
            this.packed = new byte[Math.toIntExact(blocks * BLOCK / 2)];
            this.absmax = new float[Math.toIntExact(blocks)];
        }

        public void accept(float[] values, int from, int count) {
            if (seen + count > length) {
                throw new IllegalArgumentException("more than the " + length + " values of shape " + Arrays.toString(shape));
            }
            for (int i = from; i < from + count; i++) {
                block[inBlock++] = values[i];
                if (inBlock == BLOCK) {
                    flushBlock();
                }
            }
            seen += count;
        }

        public Tensor finish() {
            if (seen != length) {
                throw new IllegalStateException("got " + seen + " of the " + length + " values of shape "
                        + Arrays.toString(shape));
            }
            if (inBlock > 0) {
                Arrays.fill(block, inBlock, BLOCK, 0f);
                flushBlock();
            }
            return doubleQuantize();
        }

        private void flushBlock() {
            int b = blocksDone++;
            float max = 0;
            for (float v : block) {
                max = Math.max(max, Math.abs(v));
            }
            absmax[b] = max;
            int base = b * BLOCK / 2;
            for (int i = 0; i < BLOCK; i += 2) {
                int hi = max == 0 ? 7 : nearest(block[i] / max);
                int lo = max == 0 ? 7 : nearest(block[i + 1] / max);
                packed[base + i / 2] = (byte) (hi << 4 | lo);
            }
            inBlock = 0;
        }

        private Tensor doubleQuantize() {
            double sum = 0;
            for (float a : absmax) {
                sum += a;
            }
            float offset = absmax.length == 0 ? 0 : (float) (sum / absmax.length);
            int groups = (absmax.length + SCALE_GROUP - 1) / SCALE_GROUP;
            float[] groupScales = new float[groups];
            byte[] scales = new byte[absmax.length];
            for (int g = 0; g < groups; g++) {
                int from = g * SCALE_GROUP;
                int to = Math.min(absmax.length, from + SCALE_GROUP);
                float spread = 0;
                for (int b = from; b < to; b++) {
                    spread = Math.max(spread, Math.abs(absmax[b] - offset));
                }
                groupScales[g] = spread;
                for (int b = from; b < to; b++) {
                    scales[b] = spread == 0 ? 0 : (byte) Math.round((absmax[b] - offset) / spread * 127f);
                }
            }
            return new Tensor(shape, length, packed, scales, groupScales, offset);
        }
    }
}
