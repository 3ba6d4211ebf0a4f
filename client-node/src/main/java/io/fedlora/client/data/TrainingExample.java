package io.fedlora.client.data;

/**
 * One training record in any of the three JSONL forms. The form decides which tokens carry loss:
 * the answer of an {@link InstructionExample}, the assistant turns of a {@link ChatExample}, every
 * token of a {@link TextExample}.
 */
public sealed interface TrainingExample permits InstructionExample, ChatExample, TextExample {

    DataForm form();
}
