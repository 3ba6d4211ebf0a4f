package io.fedlora.coordinator.strategy;

import com.google.protobuf.DoubleValue;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.StrategyOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every server strategy by name: its proto value, the options it reads with their defaults, and how
 * to build one from a job's (normalized) options. Validation and construction read the same table.
 */
public enum StrategyRegistry {

    FEDAVG("fedavg", io.fedlora.proto.v1.Strategy.STRATEGY_FEDAVG,
            StrategyOptions.newBuilder().setServerLr(v(1.0)).build(),
            o -> new FedAvg(o.getServerLr().getValue(), o.getFedproxMu().getValue())),
    FEDAVGM("fedavgm", io.fedlora.proto.v1.Strategy.STRATEGY_FEDAVGM,
            StrategyOptions.newBuilder().setServerLr(v(1.0)).setServerMomentum(v(0.9)).build(),
            o -> new FedAvgM(o.getServerLr().getValue(), o.getServerMomentum().getValue(),
                    o.getFedproxMu().getValue())),
    FEDADAGRAD("fedadagrad", io.fedlora.proto.v1.Strategy.STRATEGY_FEDADAGRAD,
            StrategyOptions.newBuilder().setServerLr(v(Defaults.ADAPTIVE_LR)).setBeta1(v(0.9)).setTau(v(1e-3)).build(),
            o -> new FedAdagrad(o.getServerLr().getValue(), o.getBeta1().getValue(), o.getTau().getValue(),
                    o.getFedproxMu().getValue())),
    FEDADAM("fedadam", io.fedlora.proto.v1.Strategy.STRATEGY_FEDADAM,
            StrategyOptions.newBuilder().setServerLr(v(Defaults.ADAPTIVE_LR)).setBeta1(v(0.9)).setBeta2(v(0.99))
                    .setTau(v(1e-3)).build(),
            o -> new FedAdam(o.getServerLr().getValue(), o.getBeta1().getValue(), o.getBeta2().getValue(),
                    o.getTau().getValue(), o.getFedproxMu().getValue())),
    FEDYOGI("fedyogi", io.fedlora.proto.v1.Strategy.STRATEGY_FEDYOGI,
            StrategyOptions.newBuilder().setServerLr(v(Defaults.ADAPTIVE_LR)).setBeta1(v(0.9)).setBeta2(v(0.99))
                    .setTau(v(1e-3)).build(),
            o -> new FedYogi(o.getServerLr().getValue(), o.getBeta1().getValue(), o.getBeta2().getValue(),
                    o.getTau().getValue(), o.getFedproxMu().getValue()));

    private final String strategyName;
    private final io.fedlora.proto.v1.Strategy proto;
    /** The strategy's own options with their defaults; fedprox_mu (default 0) applies to every strategy. */
    private final StrategyOptions defaults;
    private final Function<StrategyOptions, Strategy> factory;

    StrategyRegistry(String strategyName, io.fedlora.proto.v1.Strategy proto, StrategyOptions defaults,
            Function<StrategyOptions, Strategy> factory) {
        this.strategyName = strategyName;
        this.proto = proto;
        this.defaults = defaults.toBuilder().setFedproxMu(v(0)).build();
        this.factory = factory;
    }

    private static DoubleValue v(double value) {
        return DoubleValue.of(value);
    }

    /** Defaults shared by several entries (a nested class: enum constants cannot forward-reference fields). */
    private static final class Defaults {
        /**
         * η for the adaptive optimizers: their first step moves each element by about η (m/√v is ±1
         * then), and the demo's mean update moves a lora_B element by about 0.2 (norm ~17 over 6,144
         * values), so 0.1, the top of the 0.01..0.1 range Reddi et al. found best, keeps pace with
         * FedAvg. Reasoned, not yet measured: see docs/benchmarks.md.
         */
        static final double ADAPTIVE_LR = 0.1;
    }

    public String strategyName() {
        return strategyName;
    }

    public io.fedlora.proto.v1.Strategy proto() {
        return proto;
    }

    public StrategyOptions defaults() {
        return defaults;
    }

    /** The names, in registry order, for help texts and errors. */
    public static String names() {
        return Arrays.stream(values()).map(StrategyRegistry::strategyName).collect(Collectors.joining("|"));
    }

    public static Optional<StrategyRegistry> byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(s -> s.strategyName.equals(n)).findFirst();
    }

    /** The entry of a job's strategy; unspecified is FedAvg. */
    public static Optional<StrategyRegistry> of(io.fedlora.proto.v1.Strategy s) {
        if (s == io.fedlora.proto.v1.Strategy.STRATEGY_UNSPECIFIED) {
            return Optional.of(FEDAVG);
        }
        return Arrays.stream(values()).filter(e -> e.proto == s).findFirst();
    }

    /** {@code given} with this strategy's defaults filled in where a field is absent. */
    public StrategyOptions withDefaults(StrategyOptions given) {
        // Field by field: a merge would combine wrapper messages, and a given 0 would not replace a default.
        StrategyOptions.Builder b = defaults.toBuilder();
        given.getAllFields().forEach(b::setField);
        return b.build();
    }

    /** A fresh strategy (initial state) for a job whose config passed {@link #problems}. */
    public static Strategy create(JobConfig cfg) {
        StrategyRegistry e = of(cfg.getStrategy()).orElseThrow(() -> new IllegalArgumentException(
                "strategy: unsupported " + cfg.getStrategy()));
        return e.factory.apply(e.withDefaults(cfg.getStrategyOptions()));
    }

    /** Every problem with the job's strategy and its options, each naming its field. */
    public static List<String> problems(JobConfig cfg) {
        List<String> p = new ArrayList<>();
        Optional<StrategyRegistry> entry = of(cfg.getStrategy());
        if (entry.isEmpty()) {
            p.add("strategy: unknown value " + cfg.getStrategyValue() + " (known: " + names() + ")");
            return p;
        }
        StrategyRegistry e = entry.get();
        StrategyOptions o = cfg.getStrategyOptions();
        Set<String> used = e.defaults.getAllFields().keySet().stream().map(f -> f.getName())
                .collect(Collectors.toSet());
        o.getAllFields().keySet().stream().map(f -> f.getName()).filter(f -> !used.contains(f)).sorted()
                .forEach(f -> p.add("strategy_options." + f + ": not used by " + e.strategyName + " (it reads "
                        + used.stream().sorted().collect(Collectors.joining(", ")) + ")"));
        if (o.hasServerLr() && !(o.getServerLr().getValue() > 0 && Double.isFinite(o.getServerLr().getValue()))) {
            p.add("strategy_options.server_lr: must be a finite number > 0, got " + o.getServerLr().getValue());
        }
        unit(p, "server_momentum", o.hasServerMomentum(), o.getServerMomentum().getValue());
        unit(p, "beta1", o.hasBeta1(), o.getBeta1().getValue());
        unit(p, "beta2", o.hasBeta2(), o.getBeta2().getValue());
        if (o.hasTau() && !(o.getTau().getValue() > 0 && Double.isFinite(o.getTau().getValue()))) {
            p.add("strategy_options.tau: must be a finite number > 0, got " + o.getTau().getValue());
        }
        if (o.hasFedproxMu() && !(o.getFedproxMu().getValue() >= 0 && Double.isFinite(o.getFedproxMu().getValue()))) {
            p.add("strategy_options.fedprox_mu: must be a finite number >= 0, got " + o.getFedproxMu().getValue());
        }
        if (cfg.getTraining().getProximalMu() != 0) {
            p.add("training.proximal_mu: set by the strategy; give strategy_options.fedprox_mu instead");
        }
        return p;
    }

    private static void unit(List<String> p, String field, boolean present, double v) {
        if (present && !(v >= 0 && v < 1)) {
            p.add("strategy_options." + field + ": must be in [0, 1), got " + v);
        }
    }
}
