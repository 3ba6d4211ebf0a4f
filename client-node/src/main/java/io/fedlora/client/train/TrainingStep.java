package io.fedlora.client.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;

/** One forward/backward/update on a batch; shared by LoRA training, pretraining and the benchmark. */
public final class TrainingStep {

    private TrainingStep() {}

    /**
     * Runs the step in its own sub-manager (all activations are freed on return) and returns the
     * batch loss. Which arrays learn is decided by the caller: those with gradients enabled that
     * the optimizer holds.
     */
    public static float run(LlamaModel model, LoraAdapters lora, Batch batch, AdamW optimizer, double lr,
            NDManager parent) {
        float loss;
        try (NDManager step = parent.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(LmLoss.inputs(step, batch), lora, true);
                NDArray l = LmLoss.maskedCrossEntropy(logits, batch);
                gc.backward(l);
                loss = l.getFloat();
            }
            // PyTorch's grad mode is per thread and on by default; the collector's close only turns it
            // off on threads the engine has seen. Agents train on a worker thread, so say it here:
            // in-place updates of leaf parameters must not be recorded.
            JniUtils.setGradMode(false);
            optimizer.step(lr);
        }
        if (!Float.isFinite(loss)) {
            throw new ArithmeticException("training loss is not finite (" + loss + "); lower the learning rate");
        }
        return loss;
    }
}
