package io.fedlora.deploy.eval;

import io.fedlora.proto.v1.AggregationMode;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One arm of the privacy/utility comparison: how the clients' data is trained on (pooled, each
 * client alone, or federated), which split of the data, which aggregation and which record-level
 * DP budget. Every arm of a plan shares the task, seeds and step budget, so only these differ.
 *
 * @param epsilon the record-level DP-SGD budget per client over the whole job; NaN: no DP
 */
public record EvalArm(String name, Kind kind, Split split, AggregationMode aggregation, double epsilon) {

    public enum Kind {
        /** All clients' data pooled, one trainer, as many steps as all clients together. */
        CENTRALISED,
        /** Each client trains alone on its own data; scores are the clients' mean. */
        LOCAL,
        /** FedAvg of the clients' updates each round. */
        FEDERATED
    }

    public enum Split {
        /** The demo's slices: client k draws most letters from its quarter of the alphabet. */
        DEMO,
        /** A Dirichlet(alpha) split over labels of one pool of examples. */
        DIRICHLET
    }

    private static final AggregationMode EXACT = AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A;

    public static final List<EvalArm> ALL = List.of(
            new EvalArm("centralised", Kind.CENTRALISED, Split.DEMO, EXACT, Double.NaN),
            new EvalArm("local", Kind.LOCAL, Split.DEMO, EXACT, Double.NaN),
            new EvalArm("federated", Kind.FEDERATED, Split.DEMO, EXACT, Double.NaN),
            new EvalArm("federated-inexact", Kind.FEDERATED, Split.DEMO, AggregationMode.AGGREGATION_MODE_INEXACT_BOTH,
                    Double.NaN),
            new EvalArm("federated-noniid", Kind.FEDERATED, Split.DIRICHLET, EXACT, Double.NaN),
            dp(1), dp(4), dp(8));

    /** The arms {@code --quick} runs: one of each kind, one DP budget and both variations. */
    public static final List<String> QUICK = List.of("centralised", "local", "federated", "federated-inexact",
            "federated-noniid", "federated-dp-eps8");

    /** The arm the table's ratios are taken to. */
    public static final String REFERENCE = "federated";

    private static EvalArm dp(double epsilon) {
        return new EvalArm(String.format(Locale.ROOT, "federated-dp-eps%.0f", epsilon), Kind.FEDERATED, Split.DEMO, EXACT,
                epsilon);
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
