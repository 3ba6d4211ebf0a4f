package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The keys (after rotary embedding) and values of every layer for the positions a model has already
 * seen, for incremental decoding: {@code [B, kvHeads, length, headDim]} per layer, held in the
 * cache's own manager. Inference only: no gradients flow through it.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(LlamaConfig config, NDManager parent) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[config.numHiddenLayers()];
        this.values = new NDArray[config.numHiddenLayers()];
    }

    /** Positions cached so far; the next token fed to the model sits at this position. */
    public int length() {
        return length;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Stores a layer's full K and V (past plus new), taking them into the cache's manager. */
    void put(int layer, NDArray k, NDArray v) {
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        k.attach(manager);
        v.attach(manager);
        keys[layer] = k;
        values[layer] = v;
        if (oldK != null && oldK != k) {
            oldK.close();
        }
        if (oldV != null && oldV != v) {
            oldV.close();
        }
    }

    void advance(int newPositions) {
        length += newPositions;
    }

    @Override
    public void close() {
        manager.close();
    }
}
