package io.fedlora.client.train;

/**
 * Local LoRA training, as the agent's round loop sees it. One implementation trains a real model
 * with DJL; tests use a fast deterministic one. Implementations hold the loaded base model and are
 * reused across rounds.
 */
public interface LocalTrainer extends AutoCloseable {

    /** Trains from {@code request.startAdapter()} and returns {@code adapter_after - adapter_before}. */
    TrainOutcome train(TrainRequest request) throws Exception;

    /**
     * Whether {@link #train} applies the task's {@code training.dp} (DP-SGD). A trainer that does not
     * must never be given a DP task: the node declines it rather than train without noise.
     */
    default boolean supportsDp() {
        return false;
    }

    /** How this trainer holds the frozen base ("f32", "nf4"); empty when it has no real base (stand-ins). */
    default String basePrecision() {
        return "";
    }

    /**
     * The held-out score of {@code request.startAdapter()} (the global adapter the round starts from)
     * on this node's held-out examples; empty when it holds none. Never trains.
     */
    default java.util.Optional<EvalResult> evaluate(TrainRequest request) throws Exception {
        return java.util.Optional.empty();
    }

    @Override
    default void close() throws Exception {}
}
