package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import io.fedlora.adapter.LoraTarget;

/**
 * The one hook of a forward pass: every linear layer of a decoder block goes through it, so LoRA
 * (ordinary or with per-example factors for DP-SGD) attaches here and nowhere else.
 */
@FunctionalInterface
public interface Projection {

    /** x [..., in] through the layer's {@code target} projection, to [..., out]. */
    NDArray apply(NDArray x, int layer, LoraTarget target);
}
