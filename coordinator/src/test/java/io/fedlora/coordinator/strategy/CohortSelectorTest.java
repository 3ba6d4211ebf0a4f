package io.fedlora.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.JobConfigValidator;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SchedulingOptions;
import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CohortSelectorTest {

    private static final Strategy UNIFORM = new FedAvg();

    private static List<Candidate> nodes(int n) {
        List<Candidate> c = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            c.add(new Candidate("n" + i, 10));
        }
        return c;
    }

    private static IntUnaryOperator atMost(int k) {
        return n -> Math.min(k, n);
    }

    private static Set<String> ids(List<Candidate> c) {
        return c.stream().map(Candidate::nodeId).collect(Collectors.toSet());
    }

    /** Selection counts after {@code rounds} rounds of 3 out of 10. */
    private static IntSummaryStatistics counts(SchedulingOptions o, int rounds) {
        CohortSelector s = new CohortSelector(o, 1);
        CohortHistory h = new CohortHistory();
        List<Candidate> all = nodes(10);
        for (int r = 1; r <= rounds; r++) {
            List<Candidate> cohort = s.select(UNIFORM, all, atMost(3), r, 1000L + r, h);
            assertEquals(3, ids(cohort).size());
            h.record(r, ids(cohort));
        }
        return all.stream().mapToInt(c -> h.selections(c.nodeId())).summaryStatistics();
    }

    @Test
    void fairSelectionKeepsCountsWithinOneOfEachOther() {
        IntSummaryStatistics fair = counts(SchedulingOptions.newBuilder().setFairSelection(true).build(), 40);
        assertTrue(fair.getMax() - fair.getMin() <= 1, "fair: " + fair);
        assertEquals(12.0, fair.getAverage(), 1e-9);
        IntSummaryStatistics uniform = counts(SchedulingOptions.getDefaultInstance(), 40);
        assertTrue(uniform.getMax() - uniform.getMin() > 1, "uniform sampling spreads wider: " + uniform);
    }

    @Test
    void coolingDownNodesSitOutWhileOthersCanServe() {
        CohortSelector s = new CohortSelector(SchedulingOptions.newBuilder().setCooldownRounds(1).build(), 2);
        CohortHistory h = new CohortHistory();
        List<Candidate> all = nodes(4);
        Set<String> first = ids(s.select(UNIFORM, all, atMost(2), 1, 7, h));
        h.record(1, first);
        Set<String> second = ids(s.select(UNIFORM, all, atMost(2), 2, 8, h));
        h.record(2, second);
        assertTrue(second.stream().noneMatch(first::contains), first + " then " + second);
        assertEquals(first, ids(s.select(UNIFORM, all, atMost(2), 3, 9, h)), "rested after one round");
    }

    @Test
    void coolDownGivesWayRatherThanStallTheJob() {
        CohortSelector s = new CohortSelector(SchedulingOptions.newBuilder().setCooldownRounds(5).build(), 2);
        CohortHistory h = new CohortHistory();
        h.record(1, List.of("n0", "n1"));
        // Only n2 is rested: too few for min_clients 2, so everyone is eligible again.
        assertEquals(2, s.select(UNIFORM, nodes(3), atMost(2), 2, 3, h).size());
        assertThrows(IllegalArgumentException.class,
                () -> new CohortSelector(SchedulingOptions.newBuilder().setCooldownRounds(-1).build(), 1));
        assertTrue(String.join("\n", JobConfigValidator.problems(Fixtures.config(2, 3, 2, 10).toBuilder()
                .setScheduling(SchedulingOptions.newBuilder().setCooldownRounds(-2)).build(), true))
                .contains("scheduling.cooldown_rounds: must be >= 0, got -2"));
    }

    @Test
    void historyIsRebuiltFromStoredRounds() {
        CohortHistory h = CohortHistory.of(List.of(
                RoundSummary.newBuilder().setRound(1).addSelectedNodes("a").addSelectedNodes("b").build(),
                RoundSummary.newBuilder().setRound(2).addSelectedNodes("a").build()));
        assertEquals(2, h.selections("a"));
        assertEquals(2, h.lastRound("a"));
        assertEquals(1, h.lastRound("b"));
        assertEquals(0, h.selections("c"));
    }
}
