package io.fedlora.deploy.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DoubleValue;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.StrategyOptions;
import io.fedlora.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JobOptionsTest {

    /** {@code key, value, ...} as flags would give them; the model is only read by toConfig(). */
    private static JobOptions parse(String... keysAndValues) {
        Map<String, String> flags = new LinkedHashMap<>(Map.of("model", "/nonexistent"));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            flags.put(keysAndValues[i].substring(2), keysAndValues[i + 1]);
        }
        return new JobOptions(JobSettings.DEF.resolve(Optional.empty(), Map.of("FEDLORA_ROUNDS", "0"), flags));
    }

    @Test
    void strategyAndItsOptionsReachTheJobConfig() {
        JobOptions o = parse("--strategy", "FedYogi", "--server-lr", "0.05", "--beta1", "0.8", "--beta2", "0.999",
                "--tau", "1e-4", "--fedprox-mu", "0.01");
        assertEquals(Strategy.STRATEGY_FEDYOGI, o.strategy());
        assertEquals(StrategyOptions.newBuilder().setServerLr(DoubleValue.of(0.05)).setBeta1(DoubleValue.of(0.8)).setBeta2(DoubleValue.of(0.999)).setTau(DoubleValue.of(1e-4))
                .setFedproxMu(DoubleValue.of(0.01)).build(), o.strategyOptions());
        JobOptions m = parse("--strategy", "fedavgm", "--server-momentum", "0.7");
        assertEquals(Strategy.STRATEGY_FEDAVGM, m.strategy());
        assertEquals(0.7, m.strategyOptions().getServerMomentum().getValue());
        assertFalse(m.strategyOptions().hasServerLr(), "absent: the coordinator fills in the strategy's default");
    }

    @Test
    void defaultIsFedAvgWithNoOptions() {
        JobOptions o = parse();
        assertEquals(Strategy.STRATEGY_FEDAVG, o.strategy());
        assertEquals(StrategyOptions.getDefaultInstance(), o.strategyOptions());
    }

    @Test
    void schedulingOptions() {
        assertEquals(io.fedlora.proto.v1.SchedulingOptions.newBuilder().setFairSelection(true).setCooldownRounds(2)
                .setOverSelection(0.25).setStragglerCutoffSeconds(30).build(), parse("--fair-selection", "true",
                        "--cooldown-rounds", "2", "--over-selection", "0.25", "--straggler-cutoff", "30").scheduling());
        assertEquals(io.fedlora.proto.v1.SchedulingOptions.getDefaultInstance(), parse().scheduling());
    }

    @Test
    void unknownStrategyNamesTheKnownOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("--strategy", "sgd"));
        assertEquals(java.util.List.of("strategy: must be one of fedavg|fedavgm|fedadagrad|fedadam|fedyogi, got 'sgd'"
                + " (flag --strategy)"), e.problems());
    }

    /** The values' rules are the coordinator's own validator's, run before anything is sent. */
    @Test
    void everyValueTheCoordinatorWouldRefuseIsReportedAtOnce() {
        java.util.List<String> flags = java.util.List.of("--model", "models/fedlora-tiny", "--rounds", "0",
                "--min-clients", "5", "--dp-noise-multiplier", "0", "--over-selection", "2");
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < flags.size(); i += 2) {
            given.put(flags.get(i).substring(2), flags.get(i + 1));
        }
        JobOptions o = new JobOptions(JobSettings.DEF.resolve(Optional.empty(), Map.of(), given));
        ConfigException e = assertThrows(ConfigException.class, o::toConfig);
        assertTrue(e.problems().containsAll(java.util.List.of("rounds: must be >= 1, got 0",
                "clients_per_round: must be >= min_clients (5) and >= 1, got 4",
                "training.dp.noise_multiplier: must be a finite number > 0, got 0.0",
                "scheduling.over_selection: must be in [0, 1], got 2.0")), e.problems().toString());
    }

    @Test
    void aValueThatDoesNotParseNamesItsFlag() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("--rounds", "five", "--aggregation",
                "both"));
        assertEquals(java.util.Set.of("rounds: must be an integer, got 'five' (flag --rounds)",
                "aggregation: must be exact or inexact, got 'both' (flag --aggregation)"),
                java.util.Set.copyOf(e.problems()));
    }

    @Test
    void dpSgdOnlyWhenANoiseMultiplierIsGiven() {
        assertFalse(parse().training().hasDp());
        var dp = parse("--dp-noise-multiplier", "1.1", "--dp-clip-norm", "0.5").training().getDp();
        assertEquals(1.1, dp.getNoiseMultiplier());
        assertEquals(0.5, dp.getClipNorm());
        assertEquals(0.05, dp.getSamplingRate());
    }

    @Test
    void theEnvironmentNeverChangesAJob() {
        assertEquals(5, new JobOptions(JobSettings.DEF.resolve(Optional.empty(), Map.of("FEDLORA_ROUNDS", "9"),
                Map.of("model", "/m"))).values().get(JobSettings.ROUNDS));
    }
}
