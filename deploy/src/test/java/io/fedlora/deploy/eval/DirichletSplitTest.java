package io.fedlora.deploy.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DirichletSplitTest {

    private static List<Integer> pool(int n) {
        List<Integer> p = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            p.add(i);
        }
        return p;
    }

    @Test
    void everyExampleGoesToExactlyOneClientAndNoClientIsEmpty() {
        List<List<Integer>> split = DirichletSplit.split(pool(1000), i -> "label" + i % 10, 7, 0.1, 3);
        assertEquals(7, split.size());
        Set<Integer> seen = new HashSet<>();
        split.forEach(c -> {
            assertFalse(c.isEmpty());
            c.forEach(i -> assertTrue(seen.add(i), "example " + i + " twice"));
        });
        assertEquals(1000, seen.size());
    }

    @Test
    void smallAlphaConcentratesLabelsAndLargeAlphaSpreadsThem() {
        double skewed = meanLabelsPerClient(DirichletSplit.split(pool(2000), i -> "" + i % 20, 4, 0.05, 1));
        double even = meanLabelsPerClient(DirichletSplit.split(pool(2000), i -> "" + i % 20, 4, 100, 1));
        assertTrue(skewed < 12, "alpha 0.05: " + skewed + " labels per client");
        assertEquals(20, even, 0.01);
    }

    @Test
    void theSameSeedGivesTheSameSplit() {
        assertEquals(DirichletSplit.split(pool(300), i -> "" + i % 5, 3, 0.5, 9),
                DirichletSplit.split(pool(300), i -> "" + i % 5, 3, 0.5, 9));
    }

    @Test
    void gammaSamplesHaveTheirShapeAsMean() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (double shape : new double[] {0.3, 1, 4}) {
            double sum = 0;
            for (int i = 0; i < 20_000; i++) {
                sum += DirichletSplit.gamma(rnd, shape);
            }
            assertEquals(shape, sum / 20_000, 0.05 * Math.max(1, shape));
        }
    }

    @Test
    void badInputIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DirichletSplit.split(pool(3), i -> "a", 4, 0.5, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DirichletSplit.split(pool(30), i -> "a", 4, 0, 1));
        assertTrue(e.getMessage().contains("alpha"), e.getMessage());
    }

    private static double meanLabelsPerClient(List<List<Integer>> split) {
        return split.stream().mapToInt(c -> (int) c.stream().map(i -> i % 20).distinct().count()).average().orElse(0);
    }
}
