package io.fedlora.client.data;

import static io.fedlora.client.data.ChatMessage.assistant;
import static io.fedlora.client.data.ChatMessage.system;
import static io.fedlora.client.data.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlExamplesTest {

    @TempDir
    Path dir;

    private Path file(String... lines) throws Exception {
        Path p = dir.resolve("data.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    @Test
    void readsEachFormWithItsLineNumbers() throws Exception {
        TrainingData instructions = JsonlExamples.read(file("{\"instruction\":\"copy\",\"input\":\"abc\",\"output\":\"abc\"}",
                "", "{\"instruction\":\"hi\",\"output\":\"hi\",\"id\":7}"));
        assertEquals(Optional.of(DataForm.INSTRUCTION), instructions.form());
        assertEquals(List.of(new InstructionExample("copy", "abc", "abc"), new InstructionExample("hi", "", "hi")),
                instructions.examples());
        assertEquals(3, instructions.line(1));

        TrainingData chat = JsonlExamples.read(file(
                "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"u\"},"
                        + "{\"role\":\"assistant\",\"content\":\"a\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"u\",\"name\":\"x\"},{\"role\":\"assistant\",\"content\":\"\"}]}"));
        assertEquals(Optional.of(DataForm.CHAT), chat.form());
        assertEquals(List.of(ChatExample.of(system("s"), user("u"), assistant("a")), ChatExample.of(user("u"), assistant(""))),
                chat.examples());

        TrainingData text = JsonlExamples.read(file("", "{\"text\":\"once upon a time\"}"));
        assertEquals(Optional.of(DataForm.TEXT), text.form());
        assertEquals(List.of(new TextExample("once upon a time")), text.examples());
        assertEquals(2, text.line(0));

        assertEquals(Optional.empty(), JsonlExamples.read(file("", " ")).form());
    }

    private record Bad(String line, long lineNo, String field, String problem) {}

    /** Every bad record, each checked for file, line, field and wording; all failures reported at once. */
    @Test
    void everyBadRecordNamesFileLineAndField() throws Exception {
        String ok = "{\"messages\":[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"}]}";
        List<Bad> cases = List.of(
                new Bad("{\"messages\":\"secret\"}", 2, "messages", "must be an array of {role, content} objects, got STRING"),
                new Bad("{\"messages\":[]}", 2, "messages", "empty"),
                new Bad("{\"messages\":[\"secret\"]}", 2, "messages[0]", "must be an object with role and content"),
                new Bad("{\"messages\":[{\"content\":\"secret\"}]}", 2, "messages[0].role", "missing"),
                new Bad("{\"messages\":[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"},"
                        + "{\"role\":\"tool\",\"content\":\"secret\"}]}", 2, "messages[2].role",
                        "must be one of system/user/assistant"),
                new Bad("{\"messages\":[{\"role\":\"secret\",\"content\":\"u\"}]}", 2, "messages[0].role",
                        "must be one of system/user/assistant"),
                new Bad("{\"messages\":[{\"role\":3,\"content\":\"u\"}]}", 2, "messages[0].role", "must be a string, got NUMBER"),
                new Bad("{\"messages\":[{\"role\":\"user\"},{\"role\":\"assistant\",\"content\":\"a\"}]}", 2,
                        "messages[0].content", "missing"),
                new Bad("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"secret\"}]}]}", 2,
                        "messages[0].content", "must be a string, got ARRAY"),
                new Bad("{\"messages\":[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"system\",\"content\":\"secret\"},"
                        + "{\"role\":\"assistant\",\"content\":\"a\"}]}", 2, "messages[1].role",
                        "system is only allowed as the first message"),
                new Bad("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"secret\"}]}", 2,
                        "messages", "no assistant message"),
                new Bad("{\"instruction\":\"a\",\"output\":\"b\"}", 2, null,
                        "instruction form (instruction/input/output), but line 1 is chat form (messages): one form per file"),
                new Bad("{\"text\":\"secret\",\"messages\":[]}", 2, null,
                        "fields of more than one form (chat form (messages) and text form (text)): one form per record"),
                new Bad("{\"prompt\":\"secret\",\"completion\":\"x\"}", 2, null,
                        "none of the fields instruction/output, messages or text"));
        List<String> failures = new ArrayList<>();
        for (Bad b : cases) {
            Path p = file(ok, b.line());
            DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlExamples.read(p), b.line());
            String expected = p + ":" + b.lineNo() + ": " + (b.field() == null ? "" : "field '" + b.field() + "': ")
                    + b.problem();
            if (!e.getMessage().startsWith(expected) || e.line() != b.lineNo()
                    || !java.util.Objects.equals(e.field(), b.field()) || e.getMessage().contains("secret")) {
                failures.add(b.line() + " -> " + e.getMessage());
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void badTextRecordsNameTheField() throws Exception {
        Path wrongType = file("{\"text\":\"fine\"}", "{\"text\":5}");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlExamples.read(wrongType));
        assertEquals(wrongType + ":2: field 'text': must be a string, got NUMBER", e.getMessage());
        Path empty = file("{\"text\":\"\"}");
        assertEquals(empty + ":1: field 'text': empty: nothing to train on",
                assertThrows(DataFormatException.class, () -> JsonlExamples.read(empty)).getMessage());
    }

    @Test
    void invalidUtf8NamesItsLine() throws Exception {
        // Found by fuzzing: bytes that are not UTF-8 escaped as a bare MalformedInputException, with
        // no file or line. The reader decodes ahead, so the line must come from a rescan: put the bad
        // line well past the first buffer, after all three kinds of line end.
        StringBuilder ok = new StringBuilder();
        for (int i = 0; i < 499; i++) {
            ok.append("{\"text\":\"line ").append(i).append("\"}").append(i % 3 == 0 ? "\r\n" : i % 3 == 1 ? "\r" : "\n");
        }
        byte[] good = ok.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xc3, '(', '"', '}', '\n', '{', '}'};
        Path p = dir.resolve("latin1.jsonl");
        Files.write(p, java.nio.ByteBuffer.allocate(good.length + bad.length).put(good).put(bad).array());
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlExamples.read(p));
        assertEquals(p + ":500: not valid UTF-8", e.getMessage());
        assertEquals(500, e.line());
    }

    @Test
    void theInstructionOnlyReaderRefusesOtherFormsNamingTheFirstLine() throws Exception {
        Path p = file("", "{\"text\":\"abc\"}");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlInstructions.read(p));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("text form (text), but only instruction form"), e.getMessage());
    }
}
