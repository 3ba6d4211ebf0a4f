package io.fedlora.deploy.eval;

import java.util.List;

/**
 * One arm at one seed.
 *
 * @param metric held-out exact match after each round, index 0 the base model
 * @param loss held-out mean token loss after each round, index 0 the base model
 * @param epsilon the record-level ε per client over the whole job; NaN when not private
 * @param perClient the local arm's final exact match of each client alone (empty for the other arms)
 */
public record EvalRun(String arm, int seed, List<Double> metric, List<Double> loss, double epsilon, double seconds,
        List<Double> perClient) {

    public EvalRun {
        metric = List.copyOf(metric);
        loss = List.copyOf(loss);
        perClient = List.copyOf(perClient);
    }

    public double finalMetric() {
        return metric.get(metric.size() - 1);
    }
}
