package io.fedlora.coordinator.strategy;

import io.fedlora.proto.v1.SchedulingOptions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * A job's scheduling rules around its strategy's sample: nodes cooling down sit out while enough
 * others are eligible, and with fair selection the least-selected nodes go first. Without either
 * rule it is the strategy's own {@link Strategy#selectCohort}.
 */
public final class CohortSelector {

    private final SchedulingOptions options;
    private final int minClients;

    public CohortSelector(SchedulingOptions options, int minClients) {
        if (options.getCooldownRounds() < 0) {
            throw new IllegalArgumentException("scheduling.cooldown_rounds must be >= 0, got "
                    + options.getCooldownRounds());
        }
        this.options = options;
        this.minClients = Math.max(1, minClients);
    }

    /**
     * The cohort for {@code round}.
     *
     * @param cohortSize how many to select out of a pool of n eligible nodes (the job's rules: clients
     *     per round, SecAgg+ feasibility)
     */
    public List<Candidate> select(Strategy strategy, List<Candidate> eligible, IntUnaryOperator cohortSize, int round,
            long seed, CohortHistory history) {
        List<Candidate> pool = eligible;
        if (options.getCooldownRounds() > 0) {
            List<Candidate> rested = eligible.stream().filter(c -> history.lastRound(c.nodeId()) == 0
                    || round - history.lastRound(c.nodeId()) > options.getCooldownRounds()).toList();
            if (cohortSize.applyAsInt(rested.size()) >= minClients) {
                pool = rested;
            }
        }
        int k = cohortSize.applyAsInt(pool.size());
        if (!options.getFairSelection()) {
            return strategy.selectCohort(pool, k, seed);
        }
        // A seeded permutation first, so that equal counts are broken at random, then least selected first.
        List<Candidate> order = new ArrayList<>(strategy.selectCohort(pool, pool.size(), seed));
        order.sort(Comparator.comparingInt(c -> history.selections(c.nodeId())));
        return List.copyOf(order.subList(0, Math.min(k, order.size())));
    }
}
