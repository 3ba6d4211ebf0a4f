package io.fedlora.client.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.DecoderPass;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.Projection;

/**
 * Forward, answer-token loss and backward of one batch: afterwards every array that requires a
 * gradient holds (has added to its gradient) dL/dparam of {@code Σ weight·NLL} over {@code tokens}.
 * The forward is the model's own, with {@code projection} as its hook; grad mode is off on return.
 */
final class AnswerLossBackward {

    private AnswerLossBackward() {}

    /** Returns each example's share of the loss and the phases' times (no optimizer). */
    static StepPhases run(LlamaModel model, Projection projection, Batch batch, AnswerTokens tokens, StepOptions options,
            NDManager step) {
        if (options.checkpointLayers()) {
            return CheckpointedBackward.run(model, projection, batch, tokens, options, step);
        }
        float[] nll;
        long start = System.nanoTime();
        long forward;
        long lossDone;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            DecoderPass pass = model.pass(LmLoss.inputs(step, batch), projection, batch.segments());
            NDArray selected = ChunkedHeadLoss.select(pass.lastHidden(), tokens);
            forward = System.nanoTime();
            ChunkedHeadLoss.Result loss = ChunkedHeadLoss.evaluate(gc, pass, selected, tokens, options.lossChunk(), step);
            lossDone = System.nanoTime();
            gc.backward(selected.mul(loss.gradient()).sum());
            nll = loss.nll();
        }
        // PyTorch's grad mode is per thread; the collector's close only turns it off on threads the
        // engine has seen. Callers update leaves in place next, which must not be recorded.
        JniUtils.setGradMode(false);
        return new StepPhases(tokens.perExample(nll), forward - start, lossDone - forward, System.nanoTime() - lossDone,
                0);
    }
}
