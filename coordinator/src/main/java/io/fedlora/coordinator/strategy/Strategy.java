package io.fedlora.coordinator.strategy;

import io.fedlora.adapter.FlatAdapter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The policy half of a round: whom to ask, and how to combine what comes back. The round loop
 * (in {@code coordinator.round}) is written once and calls these.
 */
public interface Strategy {

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

    /**
     * The new global adapter values from the current one and the round's updates (at least one).
     * Must not modify {@code global} or the updates.
     */
    float[] aggregate(FlatAdapter global, List<ClientUpdate> updates);

    /**
     * The new global adapter values from the current one and the weighted mean of the round's
     * updates, as a secure round delivers it (the coordinator never sees the updates themselves).
     */
    float[] applyMean(FlatAdapter global, float[] meanUpdate);
}
