package io.fedlora.deploy.eval;

import io.fedlora.coordinator.strategy.StrategyRegistry;
import io.fedlora.proto.v1.AggregationMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One arm of the privacy/utility comparison: how the clients' data is trained on (pooled, each
 * client alone, or federated), which split of the data, which aggregation and which record-level
 * DP budget. Every arm of a plan shares the task, seeds and step budget, so only these differ.
 *
 * @param epsilon the record-level DP-SGD budget per client over the whole job; NaN: no DP
 * @param strategy the coordinator's server optimizer applied to each round's mean update (federated arms)
 */
public record EvalArm(String name, Kind kind, Split split, AggregationMode aggregation, double epsilon,
        StrategyRegistry strategy) {

    public enum Kind {
        /** All clients' data pooled, one trainer, as many steps as all clients together. */
        CENTRALISED,
        /** Each client trains alone on its own data; scores are the clients' mean. */
        LOCAL,
        /** FedAvg of the clients' updates each round. */
        FEDERATED,
        /** The many-client simulation (hundreds of clients with their own data), no privacy: client-DP's reference. */
        MANY_CLIENTS,
        /** The many-client simulation with client-level distributed DP through the real mechanism. */
        CLIENT_DP
    }

    public enum Split {
        /** The demo's slices: client k draws most letters from its quarter of the alphabet. */
        DEMO,
        /** A Dirichlet(alpha) split over labels of one pool of examples. */
        DIRICHLET
    }

    private static final AggregationMode EXACT = AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A;

    private static final StrategyRegistry FEDAVG = StrategyRegistry.FEDAVG;

    public static final List<EvalArm> ALL = all();

    private static List<EvalArm> all() {
        List<EvalArm> arms = new ArrayList<>(List.of(
                new EvalArm("centralised", Kind.CENTRALISED, Split.DEMO, EXACT, Double.NaN, FEDAVG),
                new EvalArm("local", Kind.LOCAL, Split.DEMO, EXACT, Double.NaN, FEDAVG),
                new EvalArm("federated", Kind.FEDERATED, Split.DEMO, EXACT, Double.NaN, FEDAVG),
                new EvalArm("federated-inexact", Kind.FEDERATED, Split.DEMO,
                        AggregationMode.AGGREGATION_MODE_INEXACT_BOTH, Double.NaN, FEDAVG),
                new EvalArm("federated-noniid", Kind.FEDERATED, Split.DIRICHLET, EXACT, Double.NaN, FEDAVG),
                dp(1), dp(4), dp(8),
                new EvalArm("many-clients", Kind.MANY_CLIENTS, Split.DEMO, EXACT, Double.NaN, FEDAVG),
                clientDp(4), clientDp(8)));
        // Every other server optimizer the coordinator offers, by its own registry's names.
        Arrays.stream(StrategyRegistry.values()).filter(s -> s != FEDAVG).forEach(s -> arms.add(
                new EvalArm("federated-" + s.strategyName(), Kind.FEDERATED, Split.DEMO, EXACT, Double.NaN, s)));
        return List.copyOf(arms);
    }

    /** The arms {@code --quick} runs: one of each kind, one DP budget and both variations. */
    public static final List<String> QUICK = List.of("centralised", "local", "federated", "federated-inexact",
            "federated-noniid", "federated-dp-eps8", "federated-fedadam",
            "many-clients", "client-dp-eps8");

    /** The arm the table's ratios are taken to. */
    public static final String REFERENCE = "federated";

    private static EvalArm dp(double epsilon) {
        return new EvalArm(String.format(Locale.ROOT, "federated-dp-eps%.0f", epsilon), Kind.FEDERATED, Split.DEMO, EXACT,
                epsilon, FEDAVG);
    }

    private static EvalArm clientDp(double epsilon) {
        return new EvalArm(String.format(Locale.ROOT, "client-dp-eps%.0f", epsilon), Kind.CLIENT_DP, Split.DEMO, EXACT,
                epsilon, FEDAVG);
    }

    /** The arm this one's ratio is taken to: the non-private run over the same clients. */
    public String reference() {
        return kind == Kind.CLIENT_DP || kind == Kind.MANY_CLIENTS ? "many-clients" : REFERENCE;
    }

    /** The many-client simulation is built on the demo's letter task. */
    public boolean onDemoTaskOnly() {
        return kind == Kind.CLIENT_DP || kind == Kind.MANY_CLIENTS;
    }

    public boolean private_() {
        return !Double.isNaN(epsilon);
    }

    public static Optional<EvalArm> byName(String name) {
        return ALL.stream().filter(a -> a.name.equals(name)).findFirst();
    }

    public static List<String> names() {
        return ALL.stream().map(EvalArm::name).toList();
    }
}
