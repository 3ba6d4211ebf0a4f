package io.fedlora.deploy.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DoubleValue;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.StrategyOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class JobOptionsTest {

    private static JobOptions parse(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--model";
        all[1] = "/nonexistent"; // only read by toConfig()
        System.arraycopy(args, 0, all, 2, args.length);
        return CommandLine.populateCommand(new JobOptions(), all);
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
                .setOverSelection(0.25).setStragglerCutoffSeconds(30).build(), parse("--fair-selection",
                        "--cooldown-rounds", "2", "--over-selection", "0.25", "--straggler-cutoff", "30").scheduling());
        assertEquals(io.fedlora.proto.v1.SchedulingOptions.getDefaultInstance(), parse().scheduling());
    }

    @Test
    void unknownStrategyNamesTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--strategy", "sgd").strategy());
        assertTrue(e.getMessage().contains("--strategy must be one of fedavg|fedavgm|fedadagrad|fedadam|fedyogi, got 'sgd'"),
                e.getMessage());
    }
}
