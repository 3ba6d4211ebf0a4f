package io.fedlora.client.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlInstructionsTest {

    @TempDir
    Path dir;

    private Path file(String... lines) throws Exception {
        Path p = dir.resolve("data.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    @Test
    void readsRecordsWithOptionalInputAndSkipsBlankLines() throws Exception {
        Path p = file("{\"instruction\":\"copy\",\"input\":\"abc\",\"output\":\"abc\"}", "",
                "{\"instruction\":\"say hi\",\"output\":\"hi\"}");
        List<InstructionExample> all = JsonlInstructions.read(p);
        assertEquals(List.of(new InstructionExample("copy", "abc", "abc"), new InstructionExample("say hi", "", "hi")), all);
        Path q = dir.resolve("copy.jsonl");
        JsonlInstructions.write(q, all);
        assertEquals(all, JsonlInstructions.read(q));
    }

    @Test
    void errorsNameFileLineAndField() throws Exception {
        Path p = file("{\"instruction\":\"a\",\"output\":\"b\"}", "{\"instruction\":\"secret words\"}");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlInstructions.read(p));
        assertEquals(2, e.line());
        assertEquals("output", e.field());
        assertTrue(e.getMessage().contains(p + ":2") && e.getMessage().contains("output"), e.getMessage());
        assertTrue(!e.getMessage().contains("secret"), "content must not leak into the message");

        Path q = file("{\"instruction\":\"a\",\"output\":\"b\"}", "{\"instruction\":\"a\",\"input\":3,\"output\":\"b\"}");
        DataFormatException typed = assertThrows(DataFormatException.class, () -> JsonlInstructions.read(q));
        assertEquals(2, typed.line());
        assertEquals("input", typed.field());
    }

    @Test
    void aLineThatIsNotJsonNamesTheLine() throws Exception {
        Path p = file("{\"instruction\":\"a\",\"output\":\"b\"}", "", "not json at all");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlInstructions.read(p));
        assertEquals(3, e.line());
        assertNull(e.field());
        assertTrue(e.getMessage().contains(p + ":3"), e.getMessage());
        Path q = file("[1,2]");
        assertEquals(1, assertThrows(DataFormatException.class, () -> JsonlInstructions.read(q)).line());
    }
}
