package io.fedlora.client.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Instruction-format JSONL: one object per line with string fields {@code instruction},
 * optional {@code input} and {@code output}. Blank lines are skipped; anything else that is not
 * such an object fails with the file, line number and field.
 */
public final class JsonlInstructions {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonlInstructions() {}

    public static List<InstructionExample> read(Path file) throws IOException {
        List<InstructionExample> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    // Jackson's message quotes the offending text: keep only its position.
                    throw new DataFormatException(file, n, null, "not valid JSON (column "
                            + e.getLocation().getColumnNr() + ")");
                }
                if (node == null || !node.isObject()) {
                    throw new DataFormatException(file, n, null, "not a JSON object");
                }
                out.add(new InstructionExample(required(file, n, node, "instruction"),
                        optional(file, n, node, "input"), required(file, n, node, "output")));
            }
        }
        return out;
    }

    private static String required(Path file, long line, JsonNode node, String field) throws DataFormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new DataFormatException(file, line, field, "missing");
        }
        if (!v.isTextual()) {
            throw new DataFormatException(file, line, field, "must be a string, got " + v.getNodeType());
        }
        return v.asText();
    }

    private static String optional(Path file, long line, JsonNode node, String field) throws DataFormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new DataFormatException(file, line, field, "must be a string, got " + v.getNodeType());
        }
        return v.asText();
    }

    public static void write(Path file, List<InstructionExample> examples) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (InstructionExample e : examples) {
                ObjectNode n = JSON.createObjectNode();
                n.put("instruction", e.instruction());
                if (!e.input().isEmpty()) {
                    n.put("input", e.input());
                }
                n.put("output", e.output());
                w.write(JSON.writeValueAsString(n));
                w.write('\n');
            }
        }
    }
}
