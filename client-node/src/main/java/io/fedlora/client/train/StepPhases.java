package io.fedlora.client.train;

/**
 * Where one training step's time went, in nanoseconds (the engine runs ops synchronously on CPU, so
 * wall time per phase is the phase's own). With layer checkpointing, {@code backward} includes the
 * layers' re-run forward.
 *
 * @param perExampleLoss each example's share of the loss, as {@link AnswerTokens#perExample} gives it
 */
public record StepPhases(float[] perExampleLoss, long forwardNs, long lossNs, long backwardNs, long optimizerNs) {

    /** The same with the optimizer's time. */
    StepPhases withOptimizer(long nanos) {
        return new StepPhases(perExampleLoss, forwardNs, lossNs, backwardNs, nanos);
    }

    /** The sum of the per-example shares: the step's loss. */
    public float loss() {
        float sum = 0;
        for (float l : perExampleLoss) {
            sum += l;
        }
        return sum;
    }
}
