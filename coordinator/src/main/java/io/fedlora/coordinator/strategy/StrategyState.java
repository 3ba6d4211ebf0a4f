package io.fedlora.coordinator.strategy;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of a strategy's state, stored as a content-addressed blob with each adapter version:
 * {@code "FLSS"}, format 1, the strategy's name, then float32 arrays (length-prefixed, little-endian).
 * The name is checked on the way back so one strategy never reads another's moments.
 */
final class StrategyState {

    private static final int MAGIC = 0x53534c46; // "FLSS" read little-endian
    private static final int FORMAT = 1;

    private StrategyState() {}

    static byte[] encode(String strategy, List<float[]> arrays) {
        byte[] name = strategy.getBytes(StandardCharsets.UTF_8);
        long size = 4 + 4 + 4 + name.length + 4;
        for (float[] a : arrays) {
            size += 4 + 4L * a.length;
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(strategy + " state of " + size + " bytes does not fit one blob");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(FORMAT).putInt(name.length).put(name).putInt(arrays.size());
        for (float[] a : arrays) {
            b.putInt(a.length);
            b.asFloatBuffer().put(a);
            b.position(b.position() + 4 * a.length);
        }
        return b.array();
    }

    /** The {@code count} arrays of a state written by {@code strategy}; a clear error for anything else. */
    static List<float[]> decode(String strategy, int count, byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (b.getInt() != MAGIC || b.getInt() != FORMAT) {
                throw new IllegalArgumentException(strategy + " state: not a strategy state of format " + FORMAT);
            }
            int nameLength = b.getInt();
            if (nameLength < 0 || nameLength > b.remaining()) {
                throw new IllegalArgumentException(strategy + " state: bad name length " + nameLength);
            }
            byte[] name = new byte[nameLength];
            b.get(name);
            String writer = new String(name, StandardCharsets.UTF_8);
            if (!writer.equals(strategy)) {
                throw new IllegalArgumentException(strategy + " state: written by strategy " + writer);
            }
            int n = b.getInt();
            if (n != count) {
                throw new IllegalArgumentException(strategy + " state: " + n + " arrays, expected " + count);
            }
            List<float[]> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int len = b.getInt();
                if (len < 0 || 4L * len > b.remaining()) {
                    throw new IllegalArgumentException(strategy + " state: array " + i + " is truncated");
                }
                float[] a = new float[len];
                b.asFloatBuffer().get(a);
                b.position(b.position() + 4 * len);
                out.add(a);
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(strategy + " state: " + b.remaining() + " trailing bytes");
            }
            return out;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException(strategy + " state: truncated", e);
        }
    }
}
