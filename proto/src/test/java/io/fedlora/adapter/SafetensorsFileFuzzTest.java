package io.fedlora.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Safetensors bytes come from the network (adapters) and from downloaded model directories. The
 * reader, in memory and from a file alike, either yields tensors that write and read back
 * unchanged, or fails with {@link SafetensorsFormatException} naming the source.
 * Seeds: files as our writer and PEFT write them, in F32, F16 and BF16.
 */
class SafetensorsFileFuzzTest {

    private Path file;

    @BeforeEach
    void createFile() throws IOException {
        file = Files.createTempFile(scratchDir(), "fuzz", ".safetensors");
    }

    @AfterEach
    void deleteFile() throws IOException {
        Files.deleteIfExists(file);
    }

    /** Memory-backed where Linux offers it: a file is written per input, and disk writes cost milliseconds. */
    private static Path scratchDir() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    @FuzzTest
    void parse(byte[] bytes) throws IOException {
        List<TensorData> inMemory = readAll(() -> SafetensorsFile.parse("fuzz", bytes), "fuzz: ");
        Files.write(file, bytes);
        List<TensorData> fromFile = readAll(() -> SafetensorsFile.open(file), file + ": ");
        assertEquals(inMemory == null, fromFile == null, "file and memory readers disagree");
        if (inMemory == null) {
            return;
        }
        assertSame(inMemory, fromFile);
        // F16 and BF16 widen to F32 exactly, so writing what was read and reading it back is lossless.
        SafetensorsFile again = SafetensorsFile.parse("again", SafetensorsWriter.toBytes(inMemory, null));
        assertSame(inMemory, again.readAll());
    }

    /** Every tensor, or null when the bytes are refused (always by a typed error naming the source). */
    private static List<TensorData> readAll(Reader reader, String source) throws IOException {
        try {
            SafetensorsFile st = reader.read();
            List<TensorData> out = new ArrayList<>(st.readAll());
            assertEquals(new ArrayList<>(st.entries().keySet()), out.stream().map(TensorData::name).toList());
            return out;
        } catch (SafetensorsFormatException refused) {
            assertTrue(refused.getMessage().startsWith(source), () -> "does not name its source: " + refused);
            return null;
        }
    }

    private static void assertSame(List<TensorData> expected, List<TensorData> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).name(), actual.get(i).name());
            assertArrayEquals(expected.get(i).shape(), actual.get(i).shape());
            assertArrayEquals(expected.get(i).values(), actual.get(i).values());
        }
    }

    @FunctionalInterface
    private interface Reader {
        SafetensorsFile read() throws IOException;
    }
}
