package io.fedlora.client.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Instruction-format JSONL: one object per line with string fields {@code instruction},
 * optional {@code input} and {@code output}. Blank lines are skipped; anything else that is not
 * such an object fails with the file, line number and field. {@link JsonlExamples} reads all
 * three forms.
 */
public final class JsonlInstructions {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonlInstructions() {}

    /** Reads an instruction-form file; a file in chat or text form fails (see {@link JsonlExamples} for those). */
    public static List<InstructionExample> read(Path file) throws IOException {
        return JsonlExamples.read(file).instructions();
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
