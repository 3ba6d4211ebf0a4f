package io.fedlora.adapter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes float32 values in the safetensors format, stored as F32 or BF16, byte-for-byte
 * deterministic for equal input.
 *
 * <p>Files are streamed: {@link #open} writes the header (every tensor's name and shape is declared
 * up front, since the header holds the offsets), then values are appended in header order through a
 * 1 MiB buffer into a temporary file beside the target, which {@link #commit} syncs and renames into
 * place. Nothing holds the whole file, so its size is bounded only by the disk: offsets are
 * {@code long}s. {@link #toBytes} builds small files (adapters sent over the network) in memory.
 */
public final class SafetensorsWriter implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER_BYTES = 1 << 20;

    /** How values are stored; they are always given as float32. */
    public enum Dtype {
        F32(4), BF16(2);

        private final int width;

        Dtype(int width) {
            this.width = width;
        }

        public int width() {
            return width;
        }
    }

    /** A tensor's name and shape, declared before its values are written. */
    public record TensorSpec(String name, long[] shape) {
        public TensorSpec {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("tensor name is empty");
            }
            shape = shape.clone();
            TensorData.elementCount(shape); // validates the dimensions
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long elementCount() {
            return TensorData.elementCount(shape);
        }

        public static TensorSpec of(TensorData t) {
            return new TensorSpec(t.name(), t.shape());
        }

        @Override
        public String toString() {
            return "TensorSpec[" + name + " " + Arrays.toString(shape) + "]";
        }
    }

    /**
     * The header bytes (length prefix and space padding included, so tensor data starts 8-byte
     * aligned as the reference writer does) and where each tensor's data begins, relative to the
     * start of the data section.
     */
    record Layout(byte[] header, long[] begins, long dataBytes) {}

    private final Path target;
    private final Path tmp;
    private final FileChannel channel;
    private final Dtype dtype;
    private final List<TensorSpec> specs;
    /** Element index at which each tensor starts, and one past the last. */
    private final long[] firstElement;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long written;
    private int nextSpec;
    private boolean committed;
    private boolean closed;

    private SafetensorsWriter(Path target, Path tmp, FileChannel channel, Dtype dtype, List<TensorSpec> specs) {
        this.target = target;
        this.tmp = tmp;
        this.channel = channel;
        this.dtype = dtype;
        this.specs = specs;
        this.firstElement = new long[specs.size() + 1];
        for (int i = 0; i < specs.size(); i++) {
            firstElement[i + 1] = firstElement[i] + specs.get(i).elementCount();
        }
    }

    /**
     * Starts a file with these tensors, in this order: the header is written to a temporary file
     * beside {@code target} at once; values follow with {@link #put} or {@link #append}.
     */
    public static SafetensorsWriter open(Path target, List<TensorSpec> specs, Map<String, String> metadata, Dtype dtype)
            throws IOException {
        List<TensorSpec> copy = List.copyOf(specs);
        Layout layout = layout(copy, metadata, dtype);
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            SafetensorsWriter w = new SafetensorsWriter(target, tmp, ch, dtype, copy);
            w.flushFully(ByteBuffer.wrap(layout.header()));
            return w;
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Streams {@code tensors} as F32 to a temporary file beside {@code target}, then renames it into place. */
    public static void write(Path target, List<TensorData> tensors, Map<String, String> metadata) throws IOException {
        try (SafetensorsWriter w = open(target, tensors.stream().map(TensorSpec::of).toList(), metadata, Dtype.F32)) {
            for (TensorData t : tensors) {
                w.put(t);
            }
            w.commit();
        }
    }

    /** The same bytes as {@link #write} (F32), in memory: for adapters, which are small; at most 2 GiB. */
    public static byte[] toBytes(List<TensorData> tensors, Map<String, String> metadata) {
        Layout layout = layout(tensors.stream().map(TensorSpec::of).toList(), metadata, Dtype.F32);
        long total = layout.header().length + layout.dataBytes();
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too large for one buffer: " + total + " bytes; stream it to a file");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(layout.header());
        for (TensorData t : tensors) {
            buf.asFloatBuffer().put(t.values());
            buf.position(buf.position() + 4 * t.values().length);
        }
        return buf.array();
    }

    /** Header and offsets; every offset is a long, so the data section may exceed 2 GiB. */
    static Layout layout(List<TensorSpec> specs, Map<String, String> metadata, Dtype dtype) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long[] begins = new long[specs.size()];
        long offset = 0;
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec t = specs.get(i);
            if (header.has(t.name())) {
                throw new IllegalArgumentException("tensor " + t.name() + " is declared twice");
            }
            ObjectNode n = header.putObject(t.name());
            n.put("dtype", dtype.name());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long len = Math.multiplyExact(t.elementCount(), dtype.width());
            begins[i] = offset;
            n.putArray("data_offsets").add(offset).add(offset + len);
            offset = Math.addExact(offset, len);
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int pad = (8 - json.length % 8) % 8;
        ByteBuffer h = ByteBuffer.allocate(8 + json.length + pad).order(ByteOrder.LITTLE_ENDIAN);
        h.putLong(json.length + pad).put(json);
        while (h.hasRemaining()) {
            h.put((byte) ' ');
        }
        return new Layout(h.array(), begins, offset);
    }

    /** Writes the next tensor whole; it must be the next one declared, with the declared shape. */
    public void put(TensorData t) throws IOException {
        int i = nextSpec;
        while (i < specs.size() && firstElement[i] < written) {
            i++; // completed by append
        }
        if (i == specs.size() || firstElement[i] != written || !specs.get(i).name().equals(t.name())
                || !Arrays.equals(specs.get(i).shape(), t.shape())) {
            throw new IllegalStateException("expected " + (i < specs.size() ? specs.get(i) : "no more tensors")
                    + (i < specs.size() && firstElement[i] != written ? " (a previous tensor is partly written)" : "")
                    + ", got " + t + " for " + target);
        }
        append(t.values(), 0, t.values().length);
        nextSpec = i + 1;
    }

    /**
     * Appends values in declaration order; a call may end inside a tensor or span several. Lets a
     * tensor be produced in pieces, never whole in memory.
     */
    public void append(float[] values, int offset, int length) throws IOException {
        ensureOpen();
        if (written + length > firstElement[specs.size()]) {
            throw new IllegalStateException("more values than the " + firstElement[specs.size()] + " declared");
        }
        int i = offset;
        int end = offset + length;
        while (i < end) {
            if (buffer.remaining() < dtype.width()) {
                flushBuffer();
            }
            int n = Math.min(end - i, buffer.remaining() / dtype.width());
            if (dtype == Dtype.F32) {
                buffer.asFloatBuffer().put(values, i, n);
                buffer.position(buffer.position() + 4 * n);
            } else {
                for (int k = i; k < i + n; k++) {
                    buffer.putShort(toBfloat16(values[k]));
                }
            }
            i += n;
        }
        written += length;
    }

    /** Round to nearest even, as PyTorch's {@code .to(torch.bfloat16)}; NaN stays a (quiet) NaN. */
    static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Every declared value written: flushes, syncs and renames the file over the target. */
    public void commit() throws IOException {
        ensureOpen();
        if (written != firstElement[specs.size()]) {
            throw new IllegalStateException("only " + written + " of " + firstElement[specs.size()]
                    + " declared values were written to " + target);
        }
        flushBuffer();
        channel.force(true);
        channel.close();
        closed = true;
        AtomicFiles.replace(tmp, target);
        committed = true;
    }

    /** Without a commit, abandons the file: the target is left as it was. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            channel.close();
        }
        if (!committed) {
            Files.deleteIfExists(tmp);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("writer for " + target + " is closed");
        }
    }

    private void flushBuffer() throws IOException {
        buffer.flip();
        flushFully(buffer);
        buffer.clear();
    }

    private void flushFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }
}
