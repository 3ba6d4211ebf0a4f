package io.fedlora.client.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * DP vs non-DP step time in one JVM on the benchmark's default config (the demo architecture with
 * random weights). Off by default (slow); run with {@code -Dfedlora.bench=true}. Alternates the modes
 * to spread the noise of a shared machine over both.
 */
class DpBenchmarkTest {

    @Test
    void dpModeRunsInTheBenchmark() throws Exception {
        TrainingBenchmark.Config c = new TrainingBenchmark.Config(null, 4, 16, 4, java.util.List.of("q_proj", "v_proj"),
                1, 2).withDp(true);
        TrainingBenchmark.Result r = TrainingBenchmark.run(c);
        assertTrue(r.msPerStep() > 0, r.toString());
    }

    @Test
    @EnabledIfSystemProperty(named = "fedlora.bench", matches = "true")
    void dpVersusNonDp() throws Exception {
        TrainingBenchmark.Config d = TrainingBenchmark.Config.defaults();
        TrainingBenchmark.Config base = new TrainingBenchmark.Config(null, Integer.getInteger("fedlora.bench.batch",
                d.batchSize()), Integer.getInteger("fedlora.bench.seq", d.seqLen()), d.rank(),
                java.util.List.of(System.getProperty("fedlora.bench.targets", String.join(",", d.targets())).split(",")),
                d.warmupSteps(), d.measuredSteps());
        System.out.println("BENCH config " + base);
        int rounds = Integer.getInteger("fedlora.bench.rounds", 3);
        // One discarded pair: the first steps in a JVM pay for native warm-up (seen: 5x).
        TrainingBenchmark.run(base);
        TrainingBenchmark.run(base.withDp(true));
        double[] plain = new double[rounds];
        double[] dp = new double[rounds];
        double[] ratio = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            TrainingBenchmark.Result a = TrainingBenchmark.run(base);
            TrainingBenchmark.Result b = TrainingBenchmark.run(base.withDp(true));
            plain[i] = a.msPerStep();
            dp[i] = b.msPerStep();
            ratio[i] = dp[i] / plain[i];
            System.out.printf(java.util.Locale.ROOT, "BENCH round %d: non-DP %.1f ms/step, DP %.1f ms/step, ratio %.3f%n",
                    i, plain[i], dp[i], ratio[i]);
        }
        // Medians: a shared machine gives occasional multi-second outliers to either mode.
        System.out.printf(java.util.Locale.ROOT, "BENCH median: non-DP %.1f ms/step, DP %.1f ms/step, ratio of medians %.3f,"
                + " median of ratios %.3f%n", median(plain), median(dp), median(dp) / median(plain), median(ratio));
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
