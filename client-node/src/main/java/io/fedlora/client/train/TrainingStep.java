package io.fedlora.client.train;

import ai.djl.ndarray.NDManager;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;

/** One forward/backward/update on a batch; shared by LoRA training, pretraining and the benchmark. */
public final class TrainingStep {

    private TrainingStep() {}

    /** {@link #run(LlamaModel, LoraAdapters, Batch, AdamW, double, NDManager, StepOptions)} with the defaults. */
    public static float run(LlamaModel model, LoraAdapters lora, Batch batch, AdamW optimizer, double lr,
            NDManager parent) {
        return run(model, lora, batch, optimizer, lr, parent, StepOptions.DEFAULT);
    }

    /**
     * Runs the step in its own sub-manager (all activations are freed on return) and returns the
     * batch loss, the mean NLL over its answer tokens. Which arrays learn is decided by the caller:
     * those with gradients enabled that the optimizer holds.
     */
    public static float run(LlamaModel model, LoraAdapters lora, Batch batch, AdamW optimizer, double lr,
            NDManager parent, StepOptions options) {
        return runTimed(model, lora, batch, optimizer, lr, parent, options).loss();
    }

    /** As {@link #run(LlamaModel, LoraAdapters, Batch, AdamW, double, NDManager, StepOptions)}, with the phases' times. */
    public static StepPhases runTimed(LlamaModel model, LoraAdapters lora, Batch batch, AdamW optimizer, double lr,
            NDManager parent, StepOptions options) {
        StepPhases phases;
        try (NDManager step = parent.newSubManager()) {
            AnswerTokens tokens = AnswerTokens.meanOverBatch(batch);
            phases = AnswerLossBackward.run(model, model.projection(lora, true), batch, tokens, options, step);
            long start = System.nanoTime();
            optimizer.step(lr);
            phases = phases.withOptimizer(System.nanoTime() - start);
        }
        if (!Float.isFinite(phases.loss())) {
            throw new ArithmeticException("training loss is not finite (" + phases.loss() + "); lower the learning rate");
        }
        return phases;
    }
}
