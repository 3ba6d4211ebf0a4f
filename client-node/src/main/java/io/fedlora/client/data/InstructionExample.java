package io.fedlora.client.data;

import java.util.Objects;

/** One instruction-format training record; {@code input} is empty when the record has none. */
public record InstructionExample(String instruction, String input, String output) implements TrainingExample {

    public InstructionExample {
        Objects.requireNonNull(instruction, "instruction");
        Objects.requireNonNull(output, "output");
        input = input == null ? "" : input;
    }

    @Override
    public DataForm form() {
        return DataForm.INSTRUCTION;
    }

    /** No training text in logs or error messages: only sizes. */
    @Override
    public String toString() {
        return "InstructionExample[" + instruction.length() + "+" + input.length() + " -> " + output.length() + " chars]";
    }
}
