package io.fedlora.adapter;

import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.TensorSpec;

/**
 * The coordinates of a flat adapter update that can be non-zero: in exact (frozen-A) mode only the
 * lora_B factors move (A's entries are zero by construction), otherwise every coordinate. Client-
 * level DP noises exactly these, so a frozen A stays frozen and no noise is spent on coordinates
 * that carry nothing (the noise's norm grows with the square root of their number).
 */
public final class UpdateCoordinates {

    /** Start offsets and lengths of the selected runs in the flat vector. */
    private final long[] starts;
    private final long[] lengths;
    private final int total;
    private final int count;

    private UpdateCoordinates(long[] starts, long[] lengths, int total, int count) {
        this.starts = starts;
        this.lengths = lengths;
        this.total = total;
        this.count = count;
    }

    public static UpdateCoordinates of(AdapterLayout layout, AggregationMode mode) {
        boolean onlyB = mode == AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A;
        int n = layout.getTensorsCount();
        long[] starts = new long[n];
        long[] lengths = new long[n];
        int runs = 0;
        long offset = 0;
        long count = 0;
        for (TensorSpec t : layout.getTensorsList()) {
            long size = TensorData.elementCount(FlatAdapter.shape(t));
            if (!(onlyB && LoraLayouts.isLoraA(t))) {
                starts[runs] = offset;
                lengths[runs] = size;
                runs++;
                count += size;
            }
            offset += size;
        }
        if (offset > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("adapter has " + offset + " elements, more than one array holds");
        }
        return new UpdateCoordinates(java.util.Arrays.copyOf(starts, runs), java.util.Arrays.copyOf(lengths, runs),
                (int) offset, (int) count);
    }

    /** Number of selected coordinates. */
    public int count() {
        return count;
    }

    /** Length of the full flat vector. */
    public int total() {
        return total;
    }

    /** The selected coordinates of {@code full}, in order. */
    public float[] gather(float[] full) {
        if (full.length != total) {
            throw new IllegalArgumentException("update has " + full.length + " values, the adapter has " + total);
        }
        float[] out = new float[count];
        int at = 0;
        for (int r = 0; r < starts.length; r++) {
            System.arraycopy(full, (int) starts[r], out, at, (int) lengths[r]);
            at += (int) lengths[r];
        }
        return out;
    }

    /** A full vector with {@code selected} in the selected coordinates and zero elsewhere. */
    public float[] scatter(float[] selected) {
        if (selected.length != count) {
            throw new IllegalArgumentException("got " + selected.length + " values, expected " + count);
        }
        float[] out = new float[total];
        int at = 0;
        for (int r = 0; r < starts.length; r++) {
            System.arraycopy(selected, at, out, (int) starts[r], (int) lengths[r]);
            at += (int) lengths[r];
        }
        return out;
    }
}
