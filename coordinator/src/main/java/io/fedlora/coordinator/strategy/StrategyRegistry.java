package io.fedlora.coordinator.strategy;

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
            StrategyOptions.newBuilder().setServerLr(1.0).build(),
            o -> new FedAvg(o.getServerLr(), o.getFedproxMu())),
    FEDAVGM("fedavgm", io.fedlora.proto.v1.Strategy.STRATEGY_FEDAVGM,
            StrategyOptions.newBuilder().setServerLr(1.0).setServerMomentum(0.9).build(),
            o -> new FedAvgM(o.getServerLr(), o.getServerMomentum(), o.getFedproxMu())),
    FEDADAGRAD("fedadagrad", io.fedlora.proto.v1.Strategy.STRATEGY_FEDADAGRAD,
            StrategyOptions.newBuilder().setServerLr(Defaults.ADAPTIVE_LR).setBeta1(0.9).setTau(1e-3).build(),
            o -> new FedAdagrad(o.getServerLr(), o.getBeta1(), o.getTau(), o.getFedproxMu())),
    FEDADAM("fedadam", io.fedlora.proto.v1.Strategy.STRATEGY_FEDADAM,
            StrategyOptions.newBuilder().setServerLr(Defaults.ADAPTIVE_LR).setBeta1(0.9).setBeta2(0.99).setTau(1e-3).build(),
            o -> new FedAdam(o.getServerLr(), o.getBeta1(), o.getBeta2(), o.getTau(), o.getFedproxMu())),
    FEDYOGI("fedyogi", io.fedlora.proto.v1.Strategy.STRATEGY_FEDYOGI,
            StrategyOptions.newBuilder().setServerLr(Defaults.ADAPTIVE_LR).setBeta1(0.9).setBeta2(0.99).setTau(1e-3).build(),
            o -> new FedYogi(o.getServerLr(), o.getBeta1(), o.getBeta2(), o.getTau(), o.getFedproxMu()));

    private final String strategyName;
    private final io.fedlora.proto.v1.Strategy proto;
    /** The strategy's own options with their defaults; fedprox_mu (default 0) applies to every strategy. */
    private final StrategyOptions defaults;
    private final Function<StrategyOptions, Strategy> factory;

    StrategyRegistry(String strategyName, io.fedlora.proto.v1.Strategy proto, StrategyOptions defaults,
            Function<StrategyOptions, Strategy> factory) {
        this.strategyName = strategyName;
        this.proto = proto;
        this.defaults = defaults.toBuilder().setFedproxMu(0).build();
        this.factory = factory;
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
        return defaults.toBuilder().mergeFrom(given).build();
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
        if (o.hasServerLr() && !(o.getServerLr() > 0 && Double.isFinite(o.getServerLr()))) {
            p.add("strategy_options.server_lr: must be a finite number > 0, got " + o.getServerLr());
        }
        unit(p, "server_momentum", o.hasServerMomentum(), o.getServerMomentum());
        unit(p, "beta1", o.hasBeta1(), o.getBeta1());
        unit(p, "beta2", o.hasBeta2(), o.getBeta2());
        if (o.hasTau() && !(o.getTau() > 0 && Double.isFinite(o.getTau()))) {
            p.add("strategy_options.tau: must be a finite number > 0, got " + o.getTau());
        }
        if (o.hasFedproxMu() && !(o.getFedproxMu() >= 0 && Double.isFinite(o.getFedproxMu()))) {
            p.add("strategy_options.fedprox_mu: must be a finite number >= 0, got " + o.getFedproxMu());
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
