package io.fedlora.client.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.client.model.TestModels;
import io.fedlora.crypto.privacy.DistributedDiscreteGaussianAccountant;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.DistributedDpConfig;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.SecureAggregationConfig;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The simulated round mechanism against what it must compute; no model, no DJL. */
class SimulatedDistributedDpTest {

    static final LoraConfig LORA = LoraConfig.newBuilder().setRank(4).setAlpha(8).addTargetModules("q_proj")
            .addTargetModules("v_proj").setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A).setASeed(5)
            .build();
    static final AdapterLayout LAYOUT = LoraLayouts.of(TestModels.tiny(false).loraSites(), 4, List.of("q_proj", "v_proj"));
    static final UpdateCoordinates COORDS = UpdateCoordinates.of(LAYOUT, LORA.getAggregationMode());

    static JobConfig job(int rounds, double epsilon, double clip) {
        return JobConfig.newBuilder().setRounds(rounds).setLora(LORA).setAdapterLayout(LAYOUT)
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0).setCorruptFraction(0)
                        .setDistributedDp(DistributedDpConfig.newBuilder().setTargetEpsilon(epsilon).setDelta(1e-5)
                                .setClipNorm(clip)))
                .build();
    }

    /** A full flat update: Gaussian lora_B values of L2 norm {@code norm}, A entries zero (frozen). */
    static float[] update(SplittableRandom rnd, double norm) {
        double[] g = new double[COORDS.count()];
        double sq = 0;
        for (int i = 0; i < g.length; i++) {
            double u1 = 1 - rnd.nextDouble();
            g[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rnd.nextDouble());
            sq += g[i] * g[i];
        }
        float[] b = new float[g.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (g[i] * norm / Math.sqrt(sq));
        }
        return COORDS.scatter(b);
    }

    /** The mean over clients of each update clipped to {@code clip}, on the lora_B coordinates. */
    static double[] clippedMean(List<float[]> updates, double clip) {
        double[] mean = new double[COORDS.count()];
        for (float[] u : updates) {
            float[] b = COORDS.gather(u);
            double sq = 0;
            for (float v : b) {
                sq += (double) v * v;
            }
            double scale = Math.min(1, clip / Math.sqrt(sq)) / updates.size();
            for (int i = 0; i < b.length; i++) {
                mean[i] += b[i] * scale;
            }
        }
        return mean;
    }

    @Test
    void withTinyNoiseTheSumDecodesToTheMeanOfTheClippedUpdates() {
        int n = 5;
        double clip = 1;
        // epsilon 1e6 over one round: per-client noise ~3e-4 of the clip, the decoded mean is the clipped mean.
        SimulatedDistributedDp dp = new SimulatedDistributedDp("t", job(1, 1e6, clip), n, new SecureRandom());
        DistributedDpParameters p = dp.parameters();
        SplittableRandom rnd = new SplittableRandom(1);
        List<float[]> updates = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            updates.add(update(rnd, clip * (0.5 + k * 0.6))); // norms 0.5 .. 2.9: three of five are clipped
        }
        SimulatedDistributedDp.Round round = dp.open(1);
        updates.forEach(round::contribute);
        float[] decoded = round.decode();
        double[] expected = clippedMean(updates, clip);
        float[] b = COORDS.gather(decoded);
        double bound = 6 * p.meanErrorStddev(n);
        double typical = clip / Math.sqrt(COORDS.count()) / n;
        assertTrue(bound < 0.1 * typical, "the noise bound " + bound + " is not small next to the signal " + typical);
        for (int i = 0; i < b.length; i++) {
            assertEquals(expected[i], b[i], bound, "coordinate " + i);
        }
        // lora_A is frozen: nothing is noised or decoded there.
        float[] isB = new float[COORDS.count()];
        java.util.Arrays.fill(isB, 1f);
        float[] mask = COORDS.scatter(isB);
        for (int i = 0; i < decoded.length; i++) {
            if (mask[i] == 0) {
                assertEquals(0f, decoded[i], "A coordinate " + i);
            }
        }
    }

    @Test
    void theNoiseInTheDecodedMeanHasTheCalibratedVariance() {
        int n = 5;
        double clip = 1;
        int rounds = 40;
        SimulatedDistributedDp dp = new SimulatedDistributedDp("t", job(rounds, 8, clip), n, new SecureRandom());
        DistributedDpParameters p = dp.parameters();
        SplittableRandom rnd = new SplittableRandom(2);
        double sum = 0;
        double sumSq = 0;
        long count = 0;
        for (int r = 1; r <= rounds; r++) {
            List<float[]> updates = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                updates.add(update(rnd, clip * 0.8));
            }
            SimulatedDistributedDp.Round round = dp.open(r);
            updates.forEach(round::contribute);
            float[] b = COORDS.gather(round.decode());
            double[] expected = clippedMean(updates, clip);
            for (int i = 0; i < b.length; i++) {
                double e = b[i] - expected[i];
                sum += e;
                sumSq += e * e;
                count++;
            }
        }
        // n clients' discrete Gaussians N_Z(0, (σ/γ)²) in integer units, times γ, rotated back (orthonormal),
        // divided by n: variance σ²/n per value (rounding adds at most γ²/(4n), ~1e-14 of it).
        double expectedVariance = p.clientNoiseStddev() * p.clientNoiseStddev() / n;
        double mean = sum / count;
        double variance = sumSq / count - mean * mean;
        // count = 40 rounds x 384 values: the variance estimate's relative standard error is sqrt(2/count) ~ 1.1%.
        assertEquals(1.0, variance / expectedVariance, 0.06, "noise variance / calibrated sigma^2/n");
        assertEquals(0.0, mean, 5 * Math.sqrt(expectedVariance / count), "noise is centred");
        // and it is the noise the mechanism must carry: about z·c/n per value, z the Gaussian multiplier.
        assertTrue(Math.sqrt(expectedVariance) > clip / n, "noise per value " + Math.sqrt(expectedVariance));
    }

    @Test
    void everyRoundIsChargedAndTheJobEndsAtItsTarget() {
        int n = 6;
        int rounds = 3;
        SimulatedDistributedDp dp = new SimulatedDistributedDp("t", job(rounds, 8, 2), n, new SecureRandom());
        DistributedDpParameters p = dp.parameters();
        assertEquals(n, p.noiseClients(), "noise calibrated for the whole cohort");
        assertTrue(dp.coordinatorNoiseClients() < n,
                "with no dropout tolerance SecAgg+ picks a sparse graph: the coordinator would use t");
        SplittableRandom rnd = new SplittableRandom(3);
        double previous = 0;
        for (int r = 1; r <= rounds; r++) {
            SimulatedDistributedDp.Round round = dp.open(r);
            for (int k = 0; k < n; k++) {
                round.contribute(update(rnd, 1));
            }
            round.decode();
            SimulatedDistributedDp.Charge c = round.charge();
            double accountant = DistributedDiscreteGaussianAccountant.create().composeRounds(p.accounting(), r)
                    .epsilon(1e-5);
            assertEquals(accountant, c.cumulativeEpsilon(), 1e-12);
            assertEquals(DistributedDiscreteGaussianAccountant.roundEpsilon(p.accounting(), 1e-5), c.roundEpsilon(), 1e-12);
            assertTrue(c.cumulativeEpsilon() > previous);
            previous = c.cumulativeEpsilon();
        }
        assertTrue(previous <= 8 * (1 + 1e-9) && previous > 7.9, "epsilon after all rounds " + previous);
        assertEquals(rounds, dp.roundsSpent());
    }

    @Test
    void aRoundDecodesOnlyOnceAndOnlyWithEveryClient() {
        SimulatedDistributedDp dp = new SimulatedDistributedDp("t", job(1, 8, 1), 3, new SecureRandom());
        SimulatedDistributedDp.Round round = dp.open(1);
        SplittableRandom rnd = new SplittableRandom(4);
        round.contribute(update(rnd, 1));
        round.contribute(update(rnd, 1));
        assertThrows(IllegalStateException.class, round::decode);
        round.contribute(update(rnd, 1));
        assertThrows(IllegalStateException.class, () -> round.contribute(update(rnd, 1)));
        round.decode();
        assertThrows(IllegalStateException.class, round::decode);
        assertEquals(1, dp.roundsSpent());
    }
}
