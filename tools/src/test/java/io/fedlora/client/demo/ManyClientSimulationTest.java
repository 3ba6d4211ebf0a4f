package io.fedlora.client.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.TestModels;
import io.fedlora.crypto.encoding.SecureVectorFormat;
import io.fedlora.crypto.privacy.DistributedDiscreteGaussianAccountant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The N-client simulation end to end on a tiny random model: 4 clients, 2 rounds, 2 local steps. */
class ManyClientSimulationTest {

    @TempDir
    static Path dir;
    static NDManager root;
    static LlamaModel model;
    static PromptTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        Path m = RandomModels.write(dir.resolve("model"), TestModels.tiny(false), 11);
        root = NDManager.newBaseManager();
        model = LlamaModel.load(m, root);
        tokenizer = PromptTokenizer.load(m, model.config());
    }

    @AfterAll
    static void close() throws Exception {
        tokenizer.close();
        model.close();
        root.close();
    }

    static ManyClientSimulation.Settings settings(double epsilon, double clip) {
        return new ManyClientSimulation.Settings(4, 2, 2, 4, 2e-2, 8, clip, epsilon, 1e-5, 8);
    }

    /** Every client's update and every round's aggregate and format. */
    static final class Recorder implements ManyClientSimulation.Observer {
        final Map<Integer, List<float[]>> updates = new HashMap<>();
        final Map<Integer, float[]> aggregates = new HashMap<>();
        final Map<Integer, SecureVectorFormat> formats = new HashMap<>();

        @Override
        public void clientUpdate(int round, int client, float[] delta) {
            updates.computeIfAbsent(round, r -> new ArrayList<>()).add(delta.clone());
        }

        @Override
        public void aggregated(int round, float[] meanUpdate, SecureVectorFormat format) {
            aggregates.put(round, meanUpdate.clone());
            formats.put(round, format);
        }
    }

    static ManyClientSimulation.Result run(ManyClientSimulation.Settings s, ManyClientSimulation.Privacy p, Recorder rec) {
        ManyClientSimulation sim = new ManyClientSimulation(model, tokenizer, s);
        try {
            return sim.run(p, new ManyClientSimulation.Progress((long) s.clients() * s.rounds()), line -> {}, rec);
        } finally {
            sim.close();
        }
    }

    @Test
    void withTinyNoiseEachRoundAppliesTheMeanOfTheClippedUpdates() {
        // epsilon 1e6: noise ~3e-4 of the clip; clip 0.02: below the updates' norms, so clipping bites.
        ManyClientSimulation.Settings s = settings(1e6, 0.02);
        Recorder rec = new Recorder();
        ManyClientSimulation.Result result = run(s, ManyClientSimulation.Privacy.CLIENT_DP, rec);
        UpdateCoordinates coords = UpdateCoordinates.of(
                LoraLayouts.of(model.config().loraSites(), DemoDefaults.RANK, DemoDefaults.TARGETS), DemoDefaults.AGGREGATION);
        double bound = 6 * result.parameters().meanErrorStddev(s.clients());
        int clipped = 0;
        for (int r = 1; r <= s.rounds(); r++) {
            List<float[]> updates = rec.updates.get(r);
            assertEquals(s.clients(), updates.size());
            double[] expected = new double[coords.count()];
            for (float[] u : updates) {
                float[] b = coords.gather(u);
                double norm = norm(b);
                clipped += norm > s.clip() ? 1 : 0;
                double scale = Math.min(1, s.clip() / norm) / updates.size();
                for (int i = 0; i < b.length; i++) {
                    expected[i] += b[i] * scale;
                }
            }
            float[] got = coords.gather(rec.aggregates.get(r));
            assertTrue(bound < 0.1 * norm(got) / Math.sqrt(got.length), "noise bound not small next to the signal");
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], bound, "round " + r + " coordinate " + i);
            }
        }
        assertTrue(clipped > 0, "the clip should bite in this test");
        assertEquals(clipped, result.rounds().stream().mapToInt(ManyClientSimulation.RoundRow::clippedClients).sum());
    }

    @Test
    void theReportedEpsilonIsTheAccountantsAfterEachRound() {
        ManyClientSimulation.Settings s = settings(8, 1);
        ManyClientSimulation.Result result = run(s, ManyClientSimulation.Privacy.CLIENT_DP, new Recorder());
        assertEquals(s.clients(), result.parameters().noiseClients());
        assertEquals(s.rounds(), result.rounds().size());
        for (ManyClientSimulation.RoundRow row : result.rounds()) {
            double accountant = DistributedDiscreteGaussianAccountant.create()
                    .composeRounds(result.parameters().accounting(), row.round()).epsilon(s.delta());
            assertEquals(accountant, row.cumulativeEpsilon(), 1e-12, "round " + row.round());
            assertEquals(DistributedDiscreteGaussianAccountant.roundEpsilon(result.parameters().accounting(), s.delta()),
                    row.roundEpsilon(), 1e-12);
        }
        assertTrue(result.finalEpsilon() <= 8 * (1 + 1e-9) && result.finalEpsilon() > 7.9,
                "epsilon after the last round " + result.finalEpsilon());
        assertEquals(result.parameters().clientNoiseStddev() / Math.sqrt(s.clients()), result.meanNoisePerValue(), 1e-15);
    }

    @Test
    void theNonPrivateBaselineAppliesThePlainMeanAndSpendsNothing() {
        ManyClientSimulation.Settings s = settings(8, 1);
        Recorder rec = new Recorder();
        ManyClientSimulation.Result result = run(s, ManyClientSimulation.Privacy.NONE, rec);
        for (int r = 1; r <= s.rounds(); r++) {
            float[] mean = rec.aggregates.get(r);
            List<float[]> updates = rec.updates.get(r);
            for (int i = 0; i < mean.length; i++) {
                double sum = 0;
                for (float[] u : updates) {
                    sum += u[i];
                }
                assertEquals(sum / updates.size(), mean[i], 1e-6);
            }
            assertEquals(null, rec.formats.get(r));
        }
        assertTrue(Double.isNaN(result.finalEpsilon()));
        assertEquals(null, result.parameters());
        // Clients train on their own data: their updates differ.
        List<float[]> first = rec.updates.get(1);
        assertFalse(java.util.Arrays.equals(first.get(0), first.get(1)));
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }
}
