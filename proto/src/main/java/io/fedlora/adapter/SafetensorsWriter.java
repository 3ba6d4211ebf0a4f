package io.fedlora.adapter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes float32 tensors in the safetensors format, byte-for-byte deterministic for equal input. */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static byte[] toBytes(List<TensorData> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (TensorData t : tensors) {
            ObjectNode n = header.putObject(t.name());
            n.put("dtype", "F32");
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long len = 4L * t.values().length;
            n.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
        }
        byte[] headerBytes;
        try {
            headerBytes = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Pad the header with spaces so tensor data is 8-byte aligned, as the reference writer does.
        int pad = (8 - headerBytes.length % 8) % 8;
        long total = 8 + headerBytes.length + pad + offset;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("adapter too large for one buffer: " + total + " bytes");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(headerBytes.length + pad);
        buf.put(headerBytes);
        for (int i = 0; i < pad; i++) {
            buf.put((byte) ' ');
        }
        for (TensorData t : tensors) {
            buf.asFloatBuffer().put(t.values());
            buf.position(buf.position() + 4 * t.values().length);
        }
        return buf.array();
    }

    /** Writes to a temporary file beside the target, then renames it into place. */
    public static void write(Path target, List<TensorData> tensors, Map<String, String> metadata) throws IOException {
        AtomicFiles.write(target, toBytes(tensors, metadata));
    }

}
