package io.fedlora.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsFloat32TensorsAndMetadata() throws Exception {
        TensorData a = new TensorData("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f});
        TensorData b = new TensorData("b.weight", new long[] {1}, new float[] {Float.MIN_VALUE});
        Path f = dir.resolve("x.safetensors");
        SafetensorsWriter.write(f, List.of(a, b), Map.of("format", "pt"));

        SafetensorsFile st = SafetensorsFile.open(f);
        assertEquals(List.of("a", "b.weight"), List.copyOf(st.entries().keySet()));
        assertEquals("pt", st.metadata().get("format"));
        assertArrayEquals(a.values(), st.read("a").values());
        assertArrayEquals(new long[] {2, 3}, st.read("a").shape());
        assertArrayEquals(b.values(), st.read("b.weight").values());
    }

    @Test
    void inMemoryBytesReadLikeTheFileAndErrorsNameTheSource() throws Exception {
        TensorData a = new TensorData("a", new long[] {2, 2}, new float[] {1, -2, 3.5f, 4});
        byte[] bytes = SafetensorsWriter.toBytes(List.of(a), Map.of());
        assertArrayEquals(a.values(), SafetensorsFile.parse("upload", bytes).read("a").values());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> SafetensorsFile.parse("upload from node-7", java.util.Arrays.copyOf(bytes, 20)));
        assertTrue(e.getMessage().startsWith("upload from node-7: "), e.getMessage());
    }

    @Test
    void tensorDataIsEightByteAligned() {
        byte[] bytes = SafetensorsWriter.toBytes(List.of(new TensorData("odd", new long[] {1}, new float[] {1})), Map.of());
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8);
    }

    @Test
    void convertsHalfAndBfloat16ToFloat32() throws Exception {
        // F16 1.0 = 0x3C00, -2.0 = 0xC000, 2^-24 (smallest subnormal) = 0x0001; BF16 1.5 = 0x3FC0.
        Path f16 = writeRaw("h", "F16", new short[] {0x3C00, (short) 0xC000, 0x0001});
        assertArrayEquals(new float[] {1f, -2f, 0x1p-24f}, SafetensorsFile.open(f16).read("h").values());
        Path bf16 = writeRaw("b", "BF16", new short[] {0x3FC0, (short) 0xBF80});
        assertArrayEquals(new float[] {1.5f, -1f}, SafetensorsFile.open(bf16).read("b").values());
    }

    @Test
    void truncatedHeaderNamesTheFile() throws Exception {
        Path f = dir.resolve("trunc.safetensors");
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putInt(0);
        Files.write(f, b.array());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("trunc.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated header"), e.getMessage());
    }

    @Test
    void offsetsThatDoNotMatchTheShapeNameTheTensor() throws Exception {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}";
        Path f = rawFile("bad.safetensors", header, new byte[8]);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("tensor w"), e.getMessage());
    }

    @Test
    void emptyTensorNameIsAFormatError() throws Exception {
        // Found by fuzzing in CI: an empty key escaped as IllegalArgumentException from TensorData.
        String header = "{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path f = rawFile("empty-name.safetensors", header, new byte[4]);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("empty name"), e.getMessage());
    }

    @Test
    void unsupportedDtypeIsRefused() throws Exception {
        String header = "{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        Path f = rawFile("i64.safetensors", header, new byte[8]);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("unsupported dtype I64"), e.getMessage());
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        Path f = dir.resolve("one.safetensors");
        SafetensorsWriter.write(f, List.of(new TensorData("a", new long[] {1}, new float[] {1})), Map.of());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> SafetensorsFile.open(f).read("lm_head.weight"));
        assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
    }

    @Test
    void errorsInMemoryNameTheSource() {
        // Found by fuzzing: a bad header read from memory was reported as "null: header is not valid JSON".
        byte[] h = "{\"w\":1 x}".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> SafetensorsFile.parse("adapter (17 bytes)", bytes));
        assertTrue(e.getMessage().startsWith("adapter (17 bytes): header is not valid JSON"), e.getMessage());
        byte[] array = "[]".getBytes(StandardCharsets.UTF_8);
        byte[] notObject = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(2).put(array).array();
        e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.parse("adapter", notObject));
        assertTrue(e.getMessage().startsWith("adapter: header is not a JSON object"), e.getMessage());
    }

    @Test
    void garbageNeverEscapesAsAnUncheckedException() throws Exception {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        byte[] valid = SafetensorsWriter.toBytes(
                List.of(new TensorData("t", new long[] {2, 2}, new float[] {1, 2, 3, 4})), Map.of());
        for (int i = 0; i < 500; i++) {
            byte[] mutated = Arrays.copyOf(valid, 1 + rnd.nextInt(valid.length));
            for (int k = 0; k < 3; k++) {
                mutated[rnd.nextInt(mutated.length)] = (byte) rnd.nextInt(256);
            }
            Path f = dir.resolve("fuzz.safetensors");
            Files.write(f, mutated);
            for (boolean inMemory : new boolean[] {false, true}) {
                try {
                    SafetensorsFile st = inMemory ? SafetensorsFile.parse("fuzz", mutated) : SafetensorsFile.open(f);
                    for (String name : st.entries().keySet()) {
                        st.read(name);
                    }
                } catch (java.io.IOException expected) {
                    // a clear, checked error is the contract
                }
            }
        }
    }

    private Path writeRaw(String name, String dtype, short[] values) throws Exception {
        ByteBuffer data = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : values) {
            data.putShort(v);
        }
        String header = "{\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + values.length
                + "],\"data_offsets\":[0," + 2 * values.length + "]}}";
        return rawFile(name + ".safetensors", header, data.array());
    }

    private Path rawFile(String fileName, String header, byte[] data) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path f = dir.resolve(fileName);
        Files.write(f, b.array());
        return f;
    }
}
