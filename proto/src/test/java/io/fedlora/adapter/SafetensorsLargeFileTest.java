package io.fedlora.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files past 2 GiB without writing 2 GiB: sparse files (a hole of zeros that takes no disk) whose
 * header puts small tensors beyond byte 2^31, and the writer's offsets checked at 4 GiB against a
 * sparse file of the declared size. A real 2.1 GiB write and read runs with
 * {@code -Dfedlora.largeFileTests=true}.
 */
class SafetensorsLargeFileTest {

    private static final long TWO_GIB = 1L << 31;

    @TempDir
    Path dir;

    @Test
    void readsTensorsBeyondTwoGibibytesOfASparseFile() throws Exception {
        // filler: 2^29 F32 zeros = exactly 2 GiB of hole; then an F32, a BF16 and an F16 tensor past it.
        float[] far = {1.5f, -2.25f, 3e-7f, 65504f, -0f, 7f};
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"filler\":{\"dtype\":\"F32\",\"shape\":[536870912],\"data_offsets\":[0," + TWO_GIB + "]},"
                + "\"far\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[" + TWO_GIB + "," + (TWO_GIB + 24) + "]},"
                + "\"far_bf16\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[" + (TWO_GIB + 24) + ","
                + (TWO_GIB + 28) + "]},"
                + "\"far_f16\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[" + (TWO_GIB + 28) + ","
                + (TWO_GIB + 32) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + h.length;
        Path f = dir.resolve("sparse.safetensors");
        ByteBuffer tail = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : far) {
            tail.putFloat(v);
        }
        tail.putShort((short) 0x3FC0).putShort((short) 0xBF80); // BF16 1.5, -1
        tail.putShort((short) 0x3C00).putShort((short) 0xC000); // F16 1, -2
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(dataStart + TWO_GIB + 32);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            raf.write(len.array());
            raf.write(h);
            raf.seek(dataStart + TWO_GIB);
            raf.write(tail.array());
        }
        assertTrue(Files.size(f) > Integer.MAX_VALUE);

        SafetensorsFile st = SafetensorsFile.open(f);
        assertEquals(TWO_GIB, st.entries().get("far").begin());
        assertArrayEquals(far, st.read("far").values());
        assertArrayEquals(new float[] {1.5f, -1f}, st.read("far_bf16").values());
        assertArrayEquals(new float[] {1f, -2f}, st.read("far_f16").values());

        // Streamed through a staging buffer that holds one row of two floats: three blocks.
        List<float[]> blocks = new ArrayList<>();
        List<Long> firstRows = new ArrayList<>();
        st.readRows("far", ByteBuffer.allocateDirect(8), (first, rows, block) -> {
            float[] v = new float[(int) (rows * 2)];
            block.asFloatBuffer().get(v);
            firstRows.add(first);
            blocks.add(v);
        });
        assertEquals(List.of(0L, 1L, 2L), firstRows);
        assertArrayEquals(new float[] {-0f, 7f}, blocks.get(2));

        // The 2 GiB filler streams block by block (the first block is enough to see it is not one buffer).
        class Stop extends java.io.IOException {
            private static final long serialVersionUID = 1L;
        }
        assertThrows(Stop.class, () -> st.readRows("filler", ByteBuffer.allocateDirect(1 << 20), (first, rows, block) -> {
            assertEquals(0, first);
            assertEquals(1 << 18, rows);
            assertEquals(1 << 20, block.remaining());
            throw new Stop();
        }));
    }

    @Test
    void writerOffsetsPastFourGibibytesMatchWhatTheReaderValidates() throws Exception {
        // Three tensors of 2^30 floats (4 GiB each): offsets up to 12 GiB, as longs, checked by the reader
        // against a sparse file of exactly the declared size.
        List<SafetensorsWriter.TensorSpec> specs = List.of(
                new SafetensorsWriter.TensorSpec("a", new long[] {1L << 15, 1L << 15}),
                new SafetensorsWriter.TensorSpec("b", new long[] {1L << 30}),
                new SafetensorsWriter.TensorSpec("c", new long[] {3, 1L << 28}));
        SafetensorsWriter.Layout layout = SafetensorsWriter.layout(specs, Map.of("format", "pt"),
                SafetensorsWriter.Dtype.F32);
        assertArrayEquals(new long[] {0, 1L << 32, 1L << 33}, layout.begins());
        assertEquals((1L << 33) + 3L * (1L << 30), layout.dataBytes());
        Path f = dir.resolve("declared.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(layout.header());
            raf.setLength(layout.header().length + layout.dataBytes());
        }
        SafetensorsFile st = SafetensorsFile.open(f);
        assertEquals(1L << 33, st.entries().get("c").begin());
        assertEquals((1L << 33) + 3L * (1L << 30), st.entries().get("c").end());
        assertEquals(0, (layout.header().length) % 8);

        SafetensorsWriter.Layout bf16 = SafetensorsWriter.layout(specs, Map.of(), SafetensorsWriter.Dtype.BF16);
        assertArrayEquals(new long[] {0, 1L << 31, 1L << 32}, bf16.begins());
    }

    @Test
    void oneRowLargerThanTheStagingBufferIsRefusedClearly() throws Exception {
        Path f = dir.resolve("w.safetensors");
        SafetensorsWriter.write(f, List.of(new TensorData("w", new long[] {2, 4}, new float[8])), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.open(f).readRows("w", ByteBuffer.allocateDirect(8), (a, b, c) -> { }));
        assertTrue(e.getMessage().contains("one row (16 bytes) of tensor w"), e.getMessage());
    }

    /** A real file over 2 GiB, written by the streaming writer and read back; opt-in (2.1 GB of disk, tens of seconds). */
    @Test
    @EnabledIfSystemProperty(named = "fedlora.largeFileTests", matches = "true")
    void streamsARealFileLargerThanTwoGibibytes() throws Exception {
        assumeTrue(Files.getFileStore(dir).getUsableSpace() > 6L * TWO_GIB, "needs 6 GiB free next to the temp dir");
        long rows = 2049; // 2049 rows of 2^18 floats = 2049 MiB of data
        int cols = 1 << 18;
        Path f = dir.resolve("big.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.open(f, List.of(
                new SafetensorsWriter.TensorSpec("head", new long[] {3}),
                new SafetensorsWriter.TensorSpec("big", new long[] {rows, cols}),
                new SafetensorsWriter.TensorSpec("tail", new long[] {2})), Map.of(), SafetensorsWriter.Dtype.F32)) {
            w.put(new TensorData("head", new long[] {3}, new float[] {1, 2, 3}));
            float[] row = new float[cols];
            for (long r = 0; r < rows; r++) {
                java.util.Arrays.fill(row, r);
                row[cols - 1] = -r;
                w.append(row, 0, cols);
            }
            w.put(new TensorData("tail", new long[] {2}, new float[] {42, -42}));
            w.commit();
        }
        try {
            assertTrue(Files.size(f) > Integer.MAX_VALUE);
            SafetensorsFile st = SafetensorsFile.open(f);
            assertTrue(st.entries().get("tail").begin() > Integer.MAX_VALUE);
            assertArrayEquals(new float[] {42, -42}, st.read("tail").values());
            assertArrayEquals(new float[] {1, 2, 3}, st.read("head").values());
            long[] checked = {0};
            st.readRows("big", ByteBuffer.allocateDirect(16 << 20), (first, n, block) -> {
                for (long r = first; r < first + n; r++) {
                    int at = (int) ((r - first) * cols * 4);
                    if (block.getFloat(at) != r || block.getFloat(at + 4 * (cols - 1)) != -r) {
                        throw new AssertionError("row " + r);
                    }
                    checked[0]++;
                }
            });
            assertEquals(rows, checked[0]);
        } finally {
            Files.deleteIfExists(f);
        }
        assertFalse(Files.exists(f));
    }
}
