package io.fedlora.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DoubleValue;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.JobConfigValidator;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.StrategyOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class StrategyRegistryTest {

    private static JobConfig job(io.fedlora.proto.v1.Strategy s, StrategyOptions o) {
        return Fixtures.config(2, 3, 2, 10).toBuilder().setStrategy(s).setStrategyOptions(o).build();
    }

    @Test
    void everyNameBuildsItsStrategy() {
        assertEquals("fedavg|fedavgm|fedadagrad|fedadam|fedyogi", StrategyRegistry.names());
        for (StrategyRegistry e : StrategyRegistry.values()) {
            assertEquals(e, StrategyRegistry.byName(e.strategyName().toUpperCase()).orElseThrow());
            Strategy s = StrategyRegistry.create(job(e.proto(), StrategyOptions.getDefaultInstance()));
            assertEquals(e.strategyName(), s.name());
        }
        assertTrue(StrategyRegistry.byName("fedsgd").isEmpty());
        assertInstanceOf(FedAvg.class, StrategyRegistry.create(
                job(io.fedlora.proto.v1.Strategy.STRATEGY_UNSPECIFIED, StrategyOptions.getDefaultInstance())));
    }

    @Test
    void normalizedJobsCarryTheDefaultsTheyRunWith() {
        JobConfig n = JobConfigValidator.normalized(job(io.fedlora.proto.v1.Strategy.STRATEGY_FEDADAM,
                StrategyOptions.newBuilder().setTau(DoubleValue.of(1e-2)).build()));
        StrategyOptions o = n.getStrategyOptions();
        assertEquals(0.1, o.getServerLr().getValue());
        assertEquals(0.9, o.getBeta1().getValue());
        assertEquals(0.99, o.getBeta2().getValue());
        assertEquals(1e-2, o.getTau().getValue(), "given values win");
        assertEquals(0, o.getFedproxMu().getValue());
        assertTrue(n.getStrategyOptions().hasFedproxMu());
        assertEquals(List.of(), JobConfigValidator.problems(n, true));
        StrategyOptions avgm = JobConfigValidator.normalized(job(io.fedlora.proto.v1.Strategy.STRATEGY_FEDAVGM,
                StrategyOptions.getDefaultInstance())).getStrategyOptions();
        assertEquals(1.0, avgm.getServerLr().getValue());
        assertEquals(0.9, avgm.getServerMomentum().getValue());
        assertTrue(!avgm.hasBeta1());
        StrategyOptions noMomentum = JobConfigValidator.normalized(job(io.fedlora.proto.v1.Strategy.STRATEGY_FEDAVGM,
                StrategyOptions.newBuilder().setServerMomentum(DoubleValue.of(0)).build())).getStrategyOptions();
        assertEquals(0.0, noMomentum.getServerMomentum().getValue(), "a given 0 replaces the default, it is not merged");
    }

    @Test
    void badOptionsAreReportedWithTheirField() {
        JobConfig.Builder b = job(io.fedlora.proto.v1.Strategy.STRATEGY_FEDYOGI, StrategyOptions.newBuilder()
                .setServerLr(DoubleValue.of(-1)).setBeta1(DoubleValue.of(1.0)).setBeta2(DoubleValue.of(Double.NaN)).setTau(DoubleValue.of(0)).setFedproxMu(DoubleValue.of(-0.5)).build()).toBuilder();
        b.getTrainingBuilder().setProximalMu(0.1);
        String all = String.join("\n", JobConfigValidator.problems(b.build(), true));
        for (String field : List.of("strategy_options.server_lr: must be a finite number > 0, got -1.0",
                "strategy_options.beta1: must be in [0, 1), got 1.0", "strategy_options.beta2: must be in [0, 1)",
                "strategy_options.tau: must be a finite number > 0, got 0.0",
                "strategy_options.fedprox_mu: must be a finite number >= 0", "training.proximal_mu: set by the strategy")) {
            assertTrue(all.contains(field), () -> "missing " + field + " in\n" + all);
        }
    }

    @Test
    void optionsTheStrategyDoesNotReadAreRefused() {
        String all = String.join("\n", JobConfigValidator.problems(job(io.fedlora.proto.v1.Strategy.STRATEGY_FEDAVG,
                StrategyOptions.newBuilder().setBeta2(DoubleValue.of(0.9)).setServerMomentum(DoubleValue.of(0.5)).setFedproxMu(DoubleValue.of(0.01)).build()), true));
        assertTrue(all.contains("strategy_options.beta2: not used by fedavg (it reads fedprox_mu, server_lr)"), all);
        assertTrue(all.contains("strategy_options.server_momentum: not used by fedavg"), all);
        assertTrue(!all.contains("fedprox_mu: not used"), all);
        String unknown = String.join("\n", JobConfigValidator.problems(Fixtures.config(2, 3, 2, 10).toBuilder()
                .setStrategyValue(99).build(), true));
        assertTrue(unknown.contains("strategy: unknown value 99 (known: fedavg|fedavgm|fedadagrad|fedadam|fedyogi)"),
                unknown);
    }
}
