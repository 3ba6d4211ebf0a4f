package io.fedlora.client.train;

/**
 * How a training step trades memory for time; neither changes the gradient.
 *
 * @param lossChunk answer tokens whose logits exist at once (see {@link ChunkedHeadLoss})
 * @param checkpointLayers keep only each decoder layer's input during the forward pass and recompute
 *     the layer during backward (see {@link CheckpointedBackward}): activation memory of one layer
 *     instead of all, for about one more forward pass of time
 */
public record StepOptions(int lossChunk, boolean checkpointLayers) {

    public static final StepOptions DEFAULT = new StepOptions(ChunkedHeadLoss.DEFAULT_CHUNK, false);

    public StepOptions {
        if (lossChunk <= 0) {
            throw new IllegalArgumentException("loss chunk must be positive, got " + lossChunk);
        }
    }

    public StepOptions withCheckpointLayers(boolean on) {
        return new StepOptions(lossChunk, on);
    }
}
