package io.fedlora.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.Fixtures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FedAvgTest {

    @Test
    void exampleWeightedMeanOfDeltasAddedToGlobal() {
        FlatAdapter global = FlatAdapter.initial(Fixtures.smallLayout(), 42);
        int n = global.values().length;
        List<ClientUpdate> ups = new ArrayList<>();
        Map<float[], Long> ref = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            float[] d = Fixtures.delta("node-" + i, 1, n);
            long w = 10 + 13L * i;
            ups.add(new ClientUpdate("node-" + i, d, w, 1.0, 1.0));
            ref.put(d, w);
        }
        float[] before = global.values().clone();
        float[] out = new FedAvg().aggregate(global, ups);
        double[] expected = Fixtures.fedAvgReference(before, ref);
        assertTrue(Fixtures.maxAbsDiff(expected, new FlatAdapter(global.layout(), out)) < 1e-6);
        assertEquals(before[3], global.values()[3], "global must not be modified");
    }

    @Test
    void cohortSelectionIsSeededAndBounded() {
        List<Candidate> c = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            c.add(new Candidate("n" + i, 1));
        }
        FedAvg s = new FedAvg();
        List<Candidate> a = s.selectCohort(c, 7, 99);
        List<Candidate> reversed = new ArrayList<>(c);
        java.util.Collections.reverse(reversed);
        assertEquals(a, s.selectCohort(reversed, 7, 99), "same seed and set, same cohort");
        assertEquals(7, a.size());
        assertEquals(7, a.stream().distinct().count());
        assertEquals(3, s.selectCohort(c.subList(0, 3), 7, 1).size());
    }
}
