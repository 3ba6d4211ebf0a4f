package io.fedlora.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the safetensors format (an 8-byte little-endian header length, a JSON header, then raw
 * little-endian tensor bytes). F32, F16 and BF16 tensors are returned as float32: the DJL engine
 * aborts on BF16, so conversion happens here, in Java. Bytes already in memory (an adapter received
 * over the network) are parsed in place with {@link #parse}.
 *
 * <p>Files of any size: every offset into a file is a {@code long}, and tensor bytes are fetched
 * with positional reads of just the range asked for, never through a buffer over the whole file.
 * {@link #read} returns one tensor as a {@code float[]} (so below 2^31 elements);
 * {@link #readRows} streams one tensor of any size through a caller's buffer, whole rows at a time,
 * which is how a model loader fills engine arrays without a Java copy of the weights. Reads do not
 * map the file: mapped pages would count as this process's resident memory until the mapping is
 * garbage-collected, while pages read with {@code pread} stay in the kernel's page cache.
 */
public final class SafetensorsFile {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final int READ_BLOCK_BYTES = 1 << 20;

    /** Where one tensor lives in the file. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long[] shape() {
            return shape.clone();
        }
    }

    private final Path file;
    private final long dataStart;
    private final ByteBuffer memory;
    private final String source;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, ByteBuffer memory, String source, long dataStart, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.memory = memory;
        this.source = source;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /**
     * Parses safetensors bytes already in memory (an adapter received over the network), without a
     * detour through a file; {@code source} names them in error messages.
     */
    public static SafetensorsFile parse(String source, byte[] bytes) throws SafetensorsFormatException {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long size = bytes.length;
        if (size < 8) {
            throw new SafetensorsFormatException(source, "truncated: " + size + " bytes, no header length");
        }
        long headerLen = buf.getLong(0);
        checkHeaderLength(source, headerLen, size);
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        long dataStart = 8 + headerLen;
        return parse(null, buf.asReadOnlyBuffer(), source, header, dataStart, size - dataStart);
    }

    private static void checkHeaderLength(String source, long headerLen, long size) throws SafetensorsFormatException {
        if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
            throw new SafetensorsFormatException(source, "header length " + headerLen
                    + " is invalid for a file of " + size + " bytes (truncated header?)");
        }
    }

    /** Parses and validates the header; tensor bytes are read lazily. */
    public static SafetensorsFile open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new SafetensorsFormatException(file, "file not found");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsFormatException(file, "truncated: " + size + " bytes, no header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file.toString());
            long headerLen = lenBuf.flip().getLong();
            checkHeaderLength(file.toString(), headerLen, size);
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8, file.toString());
            long dataStart = 8 + headerLen;
            return parse(file, null, file.toString(), new String(header.array(), StandardCharsets.UTF_8), dataStart,
                    size - dataStart);
        }
    }

    private static SafetensorsFile parse(Path file, ByteBuffer memory, String source, String headerJson,
            long dataStart, long dataLen) throws SafetensorsFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(headerJson);
        } catch (IOException e) {
            throw new SafetensorsFormatException(source, "header is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(source, "header is not a JSON object");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode node = f.getValue();
            if (name.equals("__metadata__")) {
                node.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            if (name.isEmpty()) {
                throw new SafetensorsFormatException(source, "a tensor has an empty name");
            }
            entries.put(name, parseEntry(source, name, node, dataLen));
        }
        return new SafetensorsFile(file, memory, source, dataStart, Collections.unmodifiableMap(entries),
                Collections.unmodifiableMap(metadata));
    }

    private static Entry parseEntry(String file, String name, JsonNode node, long dataLen)
            throws SafetensorsFormatException {
        JsonNode dtype = node.get("dtype");
        JsonNode shape = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtype == null || shape == null || !shape.isArray() || offsets == null || offsets.size() != 2) {
            throw new SafetensorsFormatException(file, "tensor " + name + ": needs dtype, shape and data_offsets[2]");
        }
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = shape.get(i).asLong(-1);
            if (dims[i] < 0) {
                throw new SafetensorsFormatException(file, "tensor " + name + ": bad dimension " + shape.get(i));
            }
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        int width = dtypeWidth(dtype.asText());
        if (width < 0) {
            throw new SafetensorsFormatException(file, "tensor " + name + ": unsupported dtype " + dtype.asText()
                    + " (supported: F32, F16, BF16)");
        }
        long needed;
        try {
            needed = Math.multiplyExact(TensorData.elementCount(dims), width);
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(file, "tensor " + name + ": shape too large");
        }
        if (begin < 0 || end < begin || end > dataLen || end - begin != needed) {
            throw new SafetensorsFormatException(file, "tensor " + name + ": data_offsets [" + begin + ", " + end
                    + "] do not match shape/dtype (" + needed + " bytes) within " + dataLen + " data bytes");
        }
        return new Entry(name, dtype.asText(), dims, begin, end);
    }

    private static int dtypeWidth(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> -1;
        };
    }

    /** The file read, or null for in-memory bytes. */
    public Path file() {
        return file;
    }

    /** What error messages call these bytes: the file's path, or the in-memory source's name. */
    public String source() {
        return source;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    /**
     * Receives a tensor's values as float32 in the platform's native byte order, whole rows at a
     * time: rows {@code [firstRow, firstRow + rows)} of the first dimension (a scalar or 1-D tensor
     * has rows of one element). {@code float32} holds exactly those values, from position 0; it is a
     * view of the caller's staging buffer, valid only during the call.
     */
    @FunctionalInterface
    public interface RowSink {
        void accept(long firstRow, long rows, ByteBuffer float32) throws IOException;
    }

    /** Reads one tensor as float32 (below 2^31 elements; larger ones only through {@link #readRows}). */
    public TensorData read(String name) throws IOException {
        Entry e = entry(name);
        long count = TensorData.elementCount(e.shape);
        if (count > Integer.MAX_VALUE - 8) {
            throw new SafetensorsFormatException(source, "tensor " + name + " has more than 2^31 elements");
        }
        float[] out = new float[(int) count];
        // A small heap buffer: the tensor is copied through it block by block, never mapped whole.
        int blockBytes = (int) Math.min(4 * count, READ_BLOCK_BYTES);
        ByteBuffer staging = ByteBuffer.allocate(Math.max(4, blockBytes));
        stream(e, staging, 1, (first, n, block) -> block.asFloatBuffer().get(out, (int) first, (int) n));
        return new TensorData(name, e.shape, out);
    }

    /**
     * Streams one tensor, of any size, as float32 through {@code staging}: {@code sink} is called with
     * as many whole rows as fit in the buffer's capacity, in order. F16 and BF16 are widened in the
     * buffer itself. A direct buffer lets the sink hand the block to native code without a copy.
     *
     * @throws IllegalArgumentException if one row does not fit in {@code staging}
     */
    public void readRows(String name, ByteBuffer staging, RowSink sink) throws IOException {
        Entry e = entry(name);
        long count = TensorData.elementCount(e.shape);
        long rows = e.shape.length == 0 ? 1 : e.shape[0];
        long rowElements = rows == 0 ? 1 : count / rows;
        if (4 * rowElements > staging.capacity()) {
            throw new IllegalArgumentException("a staging buffer of " + staging.capacity()
                    + " bytes cannot hold one row (" + 4 * rowElements + " bytes) of tensor " + name);
        }
        stream(e, staging, rowElements, (first, n, block) -> sink.accept(first / rowElements, n / rowElements, block));
    }

    private Entry entry(String name) throws SafetensorsFormatException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new SafetensorsFormatException(source, "tensor " + name + " not found");
        }
        return e;
    }

    /** Element-range blocks: {@code (firstElement, elements, float32)}; block sizes are multiples of {@code align}. */
    private void stream(Entry e, ByteBuffer staging, long align, RowSink blocks) throws IOException {
        long count = TensorData.elementCount(e.shape);
        int width = dtypeWidth(e.dtype);
        long perBlock = staging.capacity() / 4 / align * align;
        ByteBuffer le = staging.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer nativeOrder = staging.duplicate().order(ByteOrder.nativeOrder());
        boolean swap = ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN;
        try (FileChannel ch = memory == null ? FileChannel.open(file, StandardOpenOption.READ) : null) {
            for (long first = 0; first < count; first += perBlock) {
                int n = (int) Math.min(perBlock, count - first);
                long from = dataStart + e.begin + first * width;
                if (width == 4) {
                    fetch(ch, from, le.clear().limit(4 * n));
                    if (swap) {
                        for (int i = 0; i < n; i++) {
                            nativeOrder.putFloat(4 * i, le.getFloat(4 * i));
                        }
                    }
                } else {
                    // The 2-byte values go in the upper half of the block and are widened front to back in
                    // place: float i (bytes 4i..4i+3) never reaches a half value not yet read (at 2n + 2j, j > i).
                    fetch(ch, from, le.clear().position(2 * n).limit(4 * n));
                    boolean bf16 = e.dtype.equals("BF16");
                    for (int i = 0; i < n; i++) {
                        short h = le.getShort(2 * n + 2 * i);
                        nativeOrder.putFloat(4 * i, bf16 ? Float.intBitsToFloat((h & 0xffff) << 16) : halfToFloat(h));
                    }
                }
                blocks.accept(first, n, staging.duplicate().clear().limit(4 * n).slice().order(ByteOrder.nativeOrder()));
            }
        }
    }

    /** Fills {@code into} (position to limit) with the bytes at {@code from}: the in-memory bytes, or a positional file read. */
    private void fetch(FileChannel ch, long from, ByteBuffer into) throws IOException {
        if (ch == null) {
            int start = Math.toIntExact(from);
            into.put(memory.duplicate().limit(start + into.remaining()).position(start));
        } else {
            readFully(ch, into, from, source);
        }
    }

    /** Reads every tensor, in header order. */
    public List<TensorData> readAll() throws IOException {
        List<TensorData> all = new ArrayList<>(entries.size());
        for (String name : entries.keySet()) {
            all.add(read(name));
        }
        return all;
    }

    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            // zero or subnormal
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, String source) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new SafetensorsFormatException(source, "unexpected end of file at byte " + pos
                        + " (the file shrank after its header was read?)");
            }
            pos += n;
        }
    }
}
