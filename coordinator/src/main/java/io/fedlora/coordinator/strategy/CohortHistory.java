package io.fedlora.coordinator.strategy;

import io.fedlora.proto.v1.RoundSummary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How often, and when last, each node was selected in a job: rebuilt from the stored rounds when a
 * run starts (so fairness and cool-downs survive a restart), then advanced by the run's loop thread.
 */
public final class CohortHistory {

    private final Map<String, Integer> selections = new HashMap<>();
    private final Map<String, Integer> lastRound = new HashMap<>();

    /** From a job's stored rounds, every attempt included (an aborted round still asked its nodes). */
    public static CohortHistory of(List<RoundSummary> rounds) {
        CohortHistory h = new CohortHistory();
        rounds.forEach(r -> h.record(r.getRound(), r.getSelectedNodesList()));
        return h;
    }

    public void record(int round, Iterable<String> selected) {
        for (String id : selected) {
            selections.merge(id, 1, Integer::sum);
            lastRound.merge(id, round, Math::max);
        }
    }

    public int selections(String nodeId) {
        return selections.getOrDefault(nodeId, 0);
    }

    /** The last round the node was selected for; 0 if never. */
    public int lastRound(String nodeId) {
        return lastRound.getOrDefault(nodeId, 0);
    }
}
