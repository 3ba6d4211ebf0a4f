package io.fedlora.coordinator;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraLayouts.LlamaDims;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrainingConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Shared test data: small job configs, deterministic deltas, and the double-precision FedAvg reference. */
public final class Fixtures {

    public static final String MODEL_SHA = "ab".repeat(32);
    public static final String OTHER_MODEL_SHA = "cd".repeat(32);

    private Fixtures() {}

    /** 2 layers × q_proj, v_proj, rank 4 over hidden 16: 512 elements. */
    public static AdapterLayout smallLayout() {
        return LoraLayouts.llama(new LlamaDims(2, 16, 32, 2, 2, 8), 4, List.of("q_proj", "v_proj"));
    }

    public static JobConfig config(int rounds, int perRound, int min, int deadlineSeconds) {
        return config(smallLayout(), rounds, perRound, min, deadlineSeconds);
    }

    public static JobConfig config(AdapterLayout layout, int rounds, int perRound, int min, int deadlineSeconds) {
        return JobConfig.newBuilder()
                .setName("test job")
                .setBaseModelId("tiny-llama")
                .setBaseModelSha256(MODEL_SHA)
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8).setDropout(0)
                        .addTargetModules("q_proj").addTargetModules("v_proj")
                        .setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A).setASeed(42))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(2).setBatchSize(4).setLearningRate(1e-3)
                        .setMaxSeqLen(64).setSeed(7))
                .setRounds(rounds)
                .setClientsPerRound(perRound)
                .setMinClients(min)
                .setRoundDeadlineSeconds(deadlineSeconds)
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(layout)
                .build();
    }

    /** A secure-aggregation job: SecAgg+ tolerating a quarter of the cohort dropping out. */
    public static JobConfig secureConfig(int rounds, int perRound, int min, int deadlineSeconds) {
        return config(rounds, perRound, min, deadlineSeconds).toBuilder()
                .setSecureAggregation(io.fedlora.proto.v1.SecureAggregationConfig.newBuilder().setDropoutFraction(0.25)
                        .setCorruptFraction(0).setClipNorm(10).setMaxWeight(1000).setStageTimeoutSeconds(5))
                .build();
    }

    /** A node's deterministic update for a round; differs per node and round, zero on no element. */
    public static float[] delta(String nodeName, int round, int n) {
        int h = Math.floorMod(nodeName.hashCode(), 97) + 1;
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (h * 1e-3 * ((i % 11) - 5) + round * 1e-4 + i * 1e-7);
        }
        return d;
    }

    /** old + Σ wᵢΔᵢ / Σ wᵢ in double precision. */
    public static double[] fedAvgReference(float[] old, Map<float[], Long> deltas) {
        double[] num = new double[old.length];
        double w = 0;
        for (var e : deltas.entrySet()) {
            for (int i = 0; i < old.length; i++) {
                num[i] += e.getValue() * (double) e.getKey()[i];
            }
            w += e.getValue();
        }
        double[] out = new double[old.length];
        for (int i = 0; i < old.length; i++) {
            out[i] = old[i] + num[i] / w;
        }
        return out;
    }

    public static double maxAbsDiff(double[] expected, FlatAdapter actual) {
        double m = 0;
        for (int i = 0; i < expected.length; i++) {
            m = Math.max(m, Math.abs(expected[i] - actual.values()[i]));
        }
        return m;
    }

    public static void await(String what, Duration timeout, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** A clock tests move by hand. */
    public static final class ManualClock implements InstantSource {
        private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        public void advance(Duration d) {
            now = now.plus(d);
        }
    }

    /** The system clock moved by hand: certificates stay valid for the client's JDK, tokens can expire. */
    public static final class OffsetClock implements InstantSource {
        private volatile long offsetMs;

        @Override
        public Instant instant() {
            return Instant.now().plusMillis(offsetMs);
        }

        public void advance(Duration d) {
            offsetMs += d.toMillis();
        }
    }
}
