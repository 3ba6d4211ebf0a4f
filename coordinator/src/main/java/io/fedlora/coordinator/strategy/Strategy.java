package io.fedlora.coordinator.strategy;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.proto.v1.TrainingConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The policy half of a round, in the configure-fit / aggregate-fit shape of Flower: whom to ask
 * ({@link #selectCohort}), what they train with ({@link #configureFit}), and how the round's mean
 * update moves the global adapter ({@link #applyMean}). The round loop (in {@code coordinator.round})
 * is written once and calls these on its own thread.
 *
 * <p>A strategy may keep state across rounds (a server optimizer's moments). The round ledger stores
 * {@link #state()} with each adapter version it publishes and a restarted run hands it back through
 * {@link #restoreState}, so the next update is the one an uninterrupted run would have made.
 */
public interface Strategy {

    /** The registry name ({@code fedavg}, {@code fedadam}, ...). */
    String name();

    /**
     * Picks up to {@code maxClients} of the eligible candidates. The default is a uniform random
     * sample, deterministic for a given seed and candidate set (candidates are ordered by id first).
     */
    default List<Candidate> selectCohort(List<Candidate> eligible, int maxClients, long seed) {
        List<Candidate> pool = new ArrayList<>(eligible);
        pool.sort(Comparator.comparing(Candidate::nodeId));
        SplittableRandom rnd = new SplittableRandom(seed);
        // Partial Fisher-Yates: the first k entries become the sample.
        int k = Math.min(maxClients, pool.size());
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(pool.size() - i);
            Candidate t = pool.get(i);
            pool.set(i, pool.get(j));
            pool.set(j, t);
        }
        return List.copyOf(pool.subList(0, k));
    }

    /** What every selected client trains with this round, from the job's training config. */
    default TrainingConfig configureFit(TrainingConfig jobTraining) {
        return jobTraining;
    }

    /**
     * The new global adapter values from the current one and the round's updates (at least one),
     * as a plaintext round delivers them: the example-weighted mean, then {@link #applyMean}. Must not
     * modify {@code global} or the updates.
     */
    default float[] aggregate(FlatAdapter global, List<ClientUpdate> updates) {
        return applyMean(global, WeightedMean.of(updates, global.values().length));
    }

    /**
     * The new global adapter values from the current one and the weighted mean of the round's
     * updates, as a secure round delivers it (the coordinator never sees the updates themselves).
     * Advances the strategy's state by one round.
     */
    float[] applyMean(FlatAdapter global, float[] meanUpdate);

    /** The state to persist with the version just published; empty for a stateless strategy. */
    default byte[] state() {
        return new byte[0];
    }

    /** Restores what {@link #state()} returned (empty: the initial state). */
    default void restoreState(byte[] state) {
        if (state.length != 0) {
            throw new IllegalArgumentException(name() + " keeps no state, got " + state.length + " bytes");
        }
    }
}
