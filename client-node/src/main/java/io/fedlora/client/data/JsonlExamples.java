package io.fedlora.client.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Training JSONL in any of the three forms, one object per line, one form per file:
 * <ul>
 *   <li>instruction: {@code {"instruction": "...", "input": "...", "output": "..."}} ({@code input} optional)
 *   <li>chat: {@code {"messages": [{"role": "system|user|assistant", "content": "..."}, ...]}}
 *   <li>text: {@code {"text": "..."}}
 * </ul>
 * A record's form is told by its fields ({@code instruction}/{@code input}/{@code output},
 * {@code messages}, {@code text}); other fields are ignored. Blank lines are skipped; anything
 * else that does not fit fails with the file, line number and field path, never the content.
 */
public final class JsonlExamples {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonlExamples() {}

    public static TrainingData read(Path file) throws IOException {
        List<TrainingExample> examples = new ArrayList<>();
        List<Long> lines = new ArrayList<>();
        DataForm fileForm = null;
        long firstLine = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = parse(file, n, line);
                DataForm form = formOf(file, n, node);
                if (fileForm == null) {
                    fileForm = form;
                    firstLine = n;
                } else if (form != fileForm) {
                    throw new DataFormatException(file, n, null, form.description() + ", but line " + firstLine
                            + " is " + fileForm.description() + ": one form per file");
                }
                examples.add(example(form, node, new JsonFields(file, n)));
                lines.add(n);
            }
        } catch (CharacterCodingException e) {
            throw new DataFormatException(file, Utf8Lines.firstInvalid(file), null, "not valid UTF-8");
        }
        return new TrainingData(file, fileForm, examples, lines.stream().mapToLong(Long::longValue).toArray());
    }

    private static JsonNode parse(Path file, long n, String line) throws DataFormatException {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the offending text: keep only its position.
            throw new DataFormatException(file, n, null, "not valid JSON (column " + e.getLocation().getColumnNr() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new DataFormatException(file, n, null, "not a JSON object");
        }
        return node;
    }

    private static DataForm formOf(Path file, long n, JsonNode node) throws DataFormatException {
        List<DataForm> seen = new ArrayList<>();
        if (node.has("instruction") || node.has("input") || node.has("output")) {
            seen.add(DataForm.INSTRUCTION);
        }
        if (node.has("messages")) {
            seen.add(DataForm.CHAT);
        }
        if (node.has("text")) {
            seen.add(DataForm.TEXT);
        }
        if (seen.isEmpty()) {
            throw new DataFormatException(file, n, null,
                    "none of the fields instruction/output, messages or text: not a training record");
        }
        if (seen.size() > 1) {
            throw new DataFormatException(file, n, null, "fields of more than one form ("
                    + String.join(" and ", seen.stream().map(DataForm::description).toList()) + "): one form per record");
        }
        return seen.get(0);
    }

    private static TrainingExample example(DataForm form, JsonNode node, JsonFields fields) throws DataFormatException {
        switch (form) {
            case INSTRUCTION:
                return new InstructionExample(fields.required(node, "instruction", "instruction"),
                        fields.optional(node, "input", "input"), fields.required(node, "output", "output"));
            case CHAT:
                return ChatRecords.parse(node, fields);
            case TEXT:
                String text = fields.required(node, "text", "text");
                if (text.isEmpty()) {
                    throw fields.error("text", "empty: nothing to train on");
                }
                return new TextExample(text);
            default:
                throw new IllegalStateException(form.name());
        }
    }
}
