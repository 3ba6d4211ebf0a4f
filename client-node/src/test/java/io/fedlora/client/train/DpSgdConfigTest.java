package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DpSgdConfigTest {

    private static void rejected(String field, String value, Runnable make) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::run);
        assertTrue(e.getMessage().contains(field) && e.getMessage().contains(value), e.getMessage());
    }

    @Test
    void zeroNoiseIsRejected() {
        rejected("noiseMultiplier", "0.0", () -> new DpSgdConfig(0, 1, 0.1, 8));
    }

    @Test
    void badConfigsAreRejectedWithTheFieldAndValue() {
        rejected("noiseMultiplier", "NaN", () -> new DpSgdConfig(Double.NaN, 1, 0.1, 8));
        rejected("noiseMultiplier", "-1.0", () -> new DpSgdConfig(-1, 1, 0.1, 8));
        rejected("noiseMultiplier", "Infinity", () -> new DpSgdConfig(Double.POSITIVE_INFINITY, 1, 0.1, 8));
        rejected("clipNorm", "0.0", () -> new DpSgdConfig(1, 0, 0.1, 8));
        rejected("clipNorm", "NaN", () -> new DpSgdConfig(1, Double.NaN, 0.1, 8));
        rejected("samplingRate", "0.0", () -> new DpSgdConfig(1, 1, 0, 8));
        rejected("samplingRate", "-0.5", () -> new DpSgdConfig(1, 1, -0.5, 8));
        rejected("samplingRate", "1.5", () -> new DpSgdConfig(1, 1, 1.5, 8));
        rejected("samplingRate", "NaN", () -> new DpSgdConfig(1, 1, Double.NaN, 8));
        rejected("maxPhysicalBatch", "0", () -> new DpSgdConfig(1, 1, 0.1, 0));
        DpSgdConfig ok = new DpSgdConfig(1.1, 0.5, 1.0, 4);
        assertEquals(0.55, ok.noiseStd(), 1e-12);
    }

    @Test
    void noiseHasTheRequestedScale() {
        int n = 1_000_000;
        double std = 2.5;
        float[] z = GaussianNoise.seededForTesting(42).sample(n, std);
        double sum = 0;
        double sq = 0;
        double four = 0;
        for (float v : z) {
            sum += v;
            sq += (double) v * v;
            four += (double) v * v * v * v;
        }
        double mean = sum / n;
        double var = sq / n - mean * mean;
        assertEquals(0, mean, 5 * std / Math.sqrt(n), "mean");
        assertEquals(std, Math.sqrt(var), 0.01 * std, "std");
        assertEquals(3.0, four / n / (var * var), 0.05, "kurtosis of a normal is 3");
        // Within one sigma about 68.27%.
        long inside = 0;
        for (float v : z) {
            inside += Math.abs(v) < std ? 1 : 0;
        }
        assertEquals(0.6827, inside / (double) n, 0.003);
    }

    @Test
    void secureNoiseStreamsDiffer() {
        float[] a = GaussianNoise.secure().sample(16, 1);
        float[] b = GaussianNoise.secure().sample(16, 1);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertEquals(java.util.Arrays.toString(GaussianNoise.seededForTesting(3).sample(7, 1)),
                java.util.Arrays.toString(GaussianNoise.seededForTesting(3).sample(7, 1)));
    }

    @Test
    void poissonSamplingHasRateQ() {
        Random r = new Random(5);
        long total = 0;
        int steps = 2000;
        for (int s = 0; s < steps; s++) {
            int[] idx = DpSgdStep.poissonSample(r, 100, 0.1);
            for (int i = 1; i < idx.length; i++) {
                assertTrue(idx[i] > idx[i - 1], "distinct, increasing");
            }
            total += idx.length;
        }
        assertEquals(10.0, total / (double) steps, 0.3);
        assertEquals(100, DpSgdStep.poissonSample(r, 100, 1.0).length);
    }
}
