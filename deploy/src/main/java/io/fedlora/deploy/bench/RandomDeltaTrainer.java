package io.fedlora.deploy.bench;

import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The federation benchmark's stand-in for training: a uniform random delta in
 * [-{@link #AMPLITUDE}, {@link #AMPLITUDE}] of the adapter's size, seeded by the node's seed and the
 * round, so that the benchmark can recompute every input afterwards without keeping any. One example,
 * so every client weighs 1.
 */
final class RandomDeltaTrainer implements LocalTrainer {

    /** Far inside the job's clip norm of 1 for any P the benchmark allows (norm ≈ AMPLITUDE·√(P/3)). */
    static final double AMPLITUDE = 1e-3;

    private final long seed;
    private final AtomicInteger trained;

    /** {@code trained} counts calls across all nodes, for progress lines. */
    RandomDeltaTrainer(long seed, AtomicInteger trained) {
        this.seed = seed;
        this.trained = trained;
    }

    @Override
    public TrainOutcome train(TrainRequest request) {
        long t0 = System.nanoTime();
        float[] d = delta(seed, request.round(), request.startAdapter().values().length);
        trained.incrementAndGet();
        return new TrainOutcome(d, 1, 0.5, 1, (System.nanoTime() - t0) / 1e9);
    }

    /** The delta a node with {@code seed} sends in {@code round}. */
    static float[] delta(long seed, int round, int length) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + round);
        float[] d = new float[length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) ((r.nextDouble() * 2 - 1) * AMPLITUDE);
        }
        return d;
    }
}
