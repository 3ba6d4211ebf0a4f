package io.fedlora.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.TensorSpec;
import io.fedlora.proto.v1.TrainingConfig;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Each server update rule against Reddi et al. 2021, Algorithm 2 (and Hsu et al.'s server momentum)
 * on fixed vectors, two rounds each. Expected values were worked out by hand from the equations
 * (η=0.1, β1=0.9, β2=0.99, τ=0.01, v₋₁=τ²); the second round's Yogi element 1 has v > Δ², so the
 * sign flips there and v shrinks.
 */
class ServerOptimizerTest {

    private static final AdapterLayout THREE = AdapterLayout.newBuilder()
            .addTensors(TensorSpec.newBuilder().setName("x.lora_B.weight").addShape(3).addShape(1)).build();
    private static final float[] X0 = {1.0f, -0.5f, 0.0f};
    private static final float[] D1 = {0.2f, -0.4f, 0.0f};
    private static final float[] D2 = {0.1f, 0.01f, -0.2f};

    private static float[][] twoRounds(Strategy s) {
        float[] x1 = s.applyMean(new FlatAdapter(THREE, X0), D1);
        float[] x2 = s.applyMean(new FlatAdapter(THREE, x1), D2);
        return new float[][] {x1, x2};
    }

    private static void assertClose(double[] expected, float[] got) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 1e-5, "element " + i);
        }
    }

    @Test
    void fedAvgAddsTheMeanScaledByTheServerRate() {
        float[][] one = twoRounds(new FedAvg());
        assertClose(new double[] {1.2, -0.9, 0.0}, one[0]);
        assertClose(new double[] {1.3, -0.89, -0.2}, one[1]);
        float[][] half = twoRounds(new FedAvg(0.5, 0));
        assertClose(new double[] {1.1, -0.7, 0.0}, half[0]);
        assertClose(new double[] {1.15, -0.695, -0.1}, half[1]);
    }

    @Test
    void fedAvgMAccumulatesVelocity() {
        // v1 = Δ1; x1 = x0 + v1. v2 = 0.9·Δ1 + Δ2 = (0.28, -0.35, -0.2); x2 = x1 + v2.
        float[][] x = twoRounds(new FedAvgM(1.0, 0.9, 0));
        assertClose(new double[] {1.2, -0.9, 0.0}, x[0]);
        assertClose(new double[] {1.48, -1.25, -0.2}, x[1]);
    }

    @Test
    void fedAdagradSumsSquares() {
        // x1[0] = 1 + 0.1·0.02/(√0.0401 + 0.01) = 1 + 0.002/0.21025
        float[][] x = twoRounds(new FedAdagrad(0.1, 0.9, 0.01, 0));
        assertClose(new double[] {1.00951249, -0.509753125, 0}, x[0]);
        assertClose(new double[] {1.02148699, -0.518284509, -0.0095124922}, x[1]);
    }

    @Test
    void fedAdamAveragesSquares() {
        // v1[0] = 0.99·1e-4 + 0.01·0.04 = 0.000499; x1[0] = 1 + 0.002/(√0.000499 + 0.01)
        float[][] x = twoRounds(new FedAdam(0.1, 0.9, 0.99, 0.01, 0));
        assertClose(new double[] {1.06184615, -0.578096129, 0}, x[0]);
        assertClose(new double[] {1.14330705, -0.646690621, -0.061888584}, x[1]);
    }

    @Test
    void fedYogiMovesSecondMomentBySignedSteps() {
        // v1[0] = 1e-4 + 0.01·0.04 = 0.0005 (v < Δ²: grows); round 2, element 1: v = 0.0017 > Δ² = 1e-4,
        // so v = 0.0017 − 0.01·1e-4 = 0.001699; element 2 of round 1 has Δ = 0: v stays, x stays.
        float[][] x = twoRounds(new FedYogi(0.1, 0.9, 0.99, 0.01, 0));
        assertClose(new double[] {1.0618034, -0.578077641, 0}, x[0]);
        assertClose(new double[] {1.14297482, -0.646411754, -0.0618033989}, x[1]);
    }

    @Test
    void plaintextAggregationIsTheWeightedMeanThenTheServerStep() {
        // Weights 1 and 3: mean = (1·a + 3·b)/4. Same as the secure path given that mean.
        float[] a = {0.4f, 0.0f, -0.8f};
        float[] b = {0.0f, 0.4f, 0.0f};
        List<ClientUpdate> ups = List.of(new ClientUpdate("a", a, 1, 0, 0), new ClientUpdate("b", b, 3, 0, 0));
        float[] viaUpdates = new FedAdam(0.1, 0.9, 0.99, 0.01, 0).aggregate(new FlatAdapter(THREE, X0), ups);
        float[] viaMean = new FedAdam(0.1, 0.9, 0.99, 0.01, 0).applyMean(new FlatAdapter(THREE, X0),
                new float[] {0.1f, 0.3f, -0.2f});
        assertArrayEquals(viaMean, viaUpdates);
    }

    @Test
    void stateRoundTripGivesTheUninterruptedNextStep() {
        for (Supplier<Strategy> make : List.<Supplier<Strategy>>of(() -> new FedAvgM(1, 0.9, 0),
                () -> new FedAdagrad(0.1, 0.9, 0.01, 0), () -> new FedAdam(0.1, 0.9, 0.99, 0.01, 0),
                () -> new FedYogi(0.1, 0.9, 0.99, 0.01, 0))) {
            Strategy uninterrupted = make.get();
            float[][] expected = twoRounds(uninterrupted);
            Strategy first = make.get();
            float[] x1 = first.applyMean(new FlatAdapter(THREE, X0), D1);
            Strategy restarted = make.get();
            restarted.restoreState(first.state());
            assertArrayEquals(expected[1], restarted.applyMean(new FlatAdapter(THREE, x1), D2), first.name());
            assertArrayEquals(uninterrupted.state(), restarted.state(), first.name());
        }
    }

    @Test
    void stateOfAnotherStrategyOrTruncatedIsRefused() {
        FedAdam adam = new FedAdam(0.1, 0.9, 0.99, 0.01, 0);
        adam.applyMean(new FlatAdapter(THREE, X0), D1);
        byte[] state = adam.state();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FedYogi(0.1, 0.9, 0.99, 0.01, 0).restoreState(state));
        assertTrue(e.getMessage().contains("written by strategy fedadam"), e.getMessage());
        byte[] cut = java.util.Arrays.copyOf(state, state.length - 3);
        assertThrows(IllegalArgumentException.class, () -> new FedAdam(0.1, 0.9, 0.99, 0.01, 0).restoreState(cut));
        assertThrows(IllegalArgumentException.class, () -> new FedAvg().restoreState(state));
        assertEquals(0, new FedAvg().state().length, "FedAvg keeps no state");
    }

    @Test
    void adapterOfAnotherSizeIsRefused() {
        FedAdam adam = new FedAdam(0.1, 0.9, 0.99, 0.01, 0);
        adam.applyMean(new FlatAdapter(THREE, X0), D1);
        FlatAdapter bigger = FlatAdapter.initial(Fixtures.smallLayout(), 1);
        assertThrows(IllegalArgumentException.class, () -> adam.applyMean(bigger, D1));
        assertThrows(IllegalStateException.class, () -> adam.applyMean(bigger, new float[bigger.values().length]));
    }

    @Test
    void configureFitSendsTheProximalWeight() {
        TrainingConfig job = TrainingConfig.newBuilder().setLocalSteps(3).setLearningRate(1e-3).build();
        assertEquals(0.01, new FedAdam(0.1, 0.9, 0.99, 0.01, 0.01).configureFit(job).getProximalMu());
        assertEquals(3, new FedAvg(1, 0.5).configureFit(job).getLocalSteps());
        assertEquals(0, new FedAvg().configureFit(job).getProximalMu());
    }

    @Test
    void constructorsRefuseBadHyperParameters() {
        assertThrows(IllegalArgumentException.class, () -> new FedAvg(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new FedAvgM(1, 1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> new FedAdam(0.1, 0.9, 1.5, 0.01, 0));
        assertThrows(IllegalArgumentException.class, () -> new FedYogi(0.1, 0.9, 0.99, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new FedAdagrad(0.1, -0.1, 0.01, 0));
        assertThrows(IllegalArgumentException.class, () -> new FedAvg(1, Double.NaN));
    }
}
