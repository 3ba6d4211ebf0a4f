package io.fedlora.adapter;

import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An adapter as one float vector: the layout's tensors concatenated in order. This is the form
 * that is averaged, masked and sent; tensors and safetensors files are views of it.
 */
public final class FlatAdapter {

    private final AdapterLayout layout;
    private final float[] values;

    public FlatAdapter(AdapterLayout layout, float[] values) {
        long n = LoraLayouts.totalElements(layout);
        if (n != values.length) {
            throw new IllegalArgumentException("adapter has " + values.length + " values, layout needs " + n);
        }
        this.layout = layout;
        this.values = values;
    }

    /**
     * The initial adapter of a job: A from a seeded uniform(-1/sqrt(in), 1/sqrt(in)) (PEFT's
     * Kaiming-uniform bound), B zero, so the adapter starts as the identity. Deterministic for a
     * seed on every JVM; not a secret, so no cryptographic RNG is needed.
     */
    public static FlatAdapter initial(AdapterLayout layout, long seed) {
        float[] v = new float[Math.toIntExact(LoraLayouts.totalElements(layout))];
        int off = 0;
        int index = 0;
        for (TensorSpec t : layout.getTensorsList()) {
            int count = (int) TensorData.elementCount(shape(t));
            if (LoraLayouts.isLoraA(t)) {
                SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
                double bound = 1.0 / Math.sqrt(t.getShape(1));
                for (int i = 0; i < count; i++) {
                    v[off + i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
                }
            }
            off += count;
            index++;
        }
        return new FlatAdapter(layout, v);
    }

    public AdapterLayout layout() {
        return layout;
    }

    /** The backing array (not copied: adapters are large). */
    public float[] values() {
        return values;
    }

    public List<TensorData> tensors() {
        List<TensorData> out = new ArrayList<>(layout.getTensorsCount());
        int off = 0;
        for (TensorSpec t : layout.getTensorsList()) {
            long[] shape = shape(t);
            int count = (int) TensorData.elementCount(shape);
            float[] part = new float[count];
            System.arraycopy(values, off, part, 0, count);
            out.add(new TensorData(t.getName(), shape, part));
            off += count;
        }
        return out;
    }

    public byte[] toSafetensors() {
        return SafetensorsWriter.toBytes(tensors(), Map.of("format", "pt"));
    }

    /** Reads an adapter in the given layout from safetensors bytes, checking every name and shape. */
    public static FlatAdapter fromSafetensors(AdapterLayout layout, byte[] bytes) throws IOException {
        return read(layout, SafetensorsFile.parse("adapter (" + bytes.length + " bytes)", bytes));
    }

    public static FlatAdapter read(AdapterLayout layout, Path file) throws IOException {
        return read(layout, SafetensorsFile.open(file));
    }

    private static FlatAdapter read(AdapterLayout layout, SafetensorsFile st) throws IOException {
        String file = st.source();
        java.util.Set<String> expected = new java.util.HashSet<>();
        layout.getTensorsList().forEach(t -> expected.add(t.getName()));
        for (String name : st.entries().keySet()) {
            if (!expected.contains(name)) {
                // e.g. an adapter for a deeper model, or for other target modules: never silently drop weights.
                throw new SafetensorsFormatException(file, "tensor " + name + " is not part of this adapter's layout ("
                        + layout.getTensorsCount() + " tensors for the configured rank and target modules)");
            }
        }
        float[] v = new float[Math.toIntExact(LoraLayouts.totalElements(layout))];
        int off = 0;
        for (TensorSpec t : layout.getTensorsList()) {
            TensorData d = st.read(t.getName());
            if (!java.util.Arrays.equals(d.shape(), shape(t))) {
                throw new SafetensorsFormatException(file, "tensor " + t.getName() + " has shape "
                        + java.util.Arrays.toString(d.shape()) + ", layout expects " + t.getShapeList());
            }
            System.arraycopy(d.values(), 0, v, off, d.values().length);
            off += d.values().length;
        }
        return new FlatAdapter(layout, v);
    }

    public static long[] shape(TensorSpec t) {
        return t.getShapeList().stream().mapToLong(Long::longValue).toArray();
    }

    /** Little-endian float32 bytes: the plaintext update wire encoding. */
    public static byte[] toLittleEndian(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    public static float[] fromLittleEndian(byte[] bytes) {
        if (bytes.length % 4 != 0) {
            throw new IllegalArgumentException("float32 payload length " + bytes.length + " is not a multiple of 4");
        }
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
