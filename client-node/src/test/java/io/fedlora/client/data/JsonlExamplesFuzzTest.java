package io.fedlora.client.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A training file is whatever the operator of a client node was handed. The readers either return
 * examples of one form, each with its line, or fail with {@link DataFormatException} naming the
 * file and a line that exists; instruction files write and read back unchanged.
 * Seeds: small files in each of the three forms.
 */
class JsonlExamplesFuzzTest {

    private Path file;
    private Path copy;

    @BeforeEach
    void createFiles() throws IOException {
        file = Files.createTempFile(scratchDir(), "fuzz", ".jsonl");
        copy = Files.createTempFile(scratchDir(), "fuzz-copy", ".jsonl");
    }

    @AfterEach
    void deleteFiles() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(copy);
    }

    /** Memory-backed where Linux offers it: a file is written per input, and disk writes cost milliseconds. */
    private static Path scratchDir() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    @FuzzTest
    void read(byte[] bytes) throws IOException {
        Files.write(file, bytes);
        TrainingData data;
        try {
            data = JsonlExamples.read(file);
        } catch (DataFormatException refused) {
            assertEquals(file, refused.file());
            assertTrue(refused.line() >= 1 && refused.line() <= lineCount(bytes), refused::toString);
            return;
        }
        for (int i = 0; i < data.size(); i++) {
            assertEquals(data.form().orElseThrow(), data.examples().get(i).form());
            assertTrue(data.line(i) >= 1 && data.line(i) <= lineCount(bytes));
            assertTrue(i == 0 || data.line(i) > data.line(i - 1));
        }
        List<InstructionExample> instructions;
        try {
            instructions = JsonlInstructions.read(file);
        } catch (DataFormatException otherForm) {
            assertTrue(data.form().isPresent() && data.form().get() != DataForm.INSTRUCTION, otherForm::toString);
            return;
        }
        assertEquals(data.examples(), instructions);
        JsonlInstructions.write(copy, instructions);
        assertEquals(instructions, JsonlInstructions.read(copy));
    }

    /** Lines as a reader counts them: a final line needs no terminator; \r, \n and \r\n end one. */
    private static long lineCount(byte[] bytes) {
        long lines = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n' || (bytes[i] == '\r' && (i + 1 == bytes.length || bytes[i + 1] != '\n'))) {
                lines++;
            }
        }
        boolean unterminated = bytes.length > 0 && bytes[bytes.length - 1] != '\n' && bytes[bytes.length - 1] != '\r';
        return lines + (unterminated ? 1 : 0);
    }
}
