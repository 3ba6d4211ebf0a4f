package io.fedlora.client.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The examples of one JSONL file, all in one {@link DataForm}, with the line each came from (so
 * that problems found later, e.g. by the chat template, can still name file and line).
 */
public final class TrainingData {

    private final Path file;
    private final DataForm form;
    private final List<TrainingExample> examples;
    private final long[] lines;

    TrainingData(Path file, DataForm form, List<TrainingExample> examples, long[] lines) {
        if (examples.size() != lines.length) {
            throw new IllegalArgumentException(examples.size() + " examples but " + lines.length + " line numbers");
        }
        this.file = file;
        this.form = form;
        this.examples = List.copyOf(examples);
        this.lines = lines.clone();
    }

    public Path file() {
        return file;
    }

    /** The file's form; empty when it holds no examples. */
    public Optional<DataForm> form() {
        return Optional.ofNullable(form);
    }

    public List<TrainingExample> examples() {
        return examples;
    }

    public int size() {
        return examples.size();
    }

    /** The 1-based line of example {@code index}. */
    public long line(int index) {
        return lines[index];
    }

    /** The examples as instruction records; a file in another form fails naming its first line. */
    public List<InstructionExample> instructions() throws DataFormatException {
        if (form != null && form != DataForm.INSTRUCTION) {
            throw new DataFormatException(file, lines[0], null, form.description()
                    + ", but only instruction form (instruction/input/output) is accepted here");
        }
        List<InstructionExample> out = new ArrayList<>(examples.size());
        for (TrainingExample e : examples) {
            out.add((InstructionExample) e);
        }
        return out;
    }
}
