package io.fedlora.deploy.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A label-skewed non-IID split: for each label, the shares of its examples that go to each client
 * are drawn from a symmetric Dirichlet(alpha). Small alpha gives each client few labels; large
 * alpha approaches an IID split. Every client gets at least one example.
 */
public final class DirichletSplit {

    private DirichletSplit() {}

    public static <T> List<List<T>> split(List<T> pool, Function<T, String> label, int clients, double alpha, long seed) {
        if (clients < 1 || pool.size() < clients) {
            throw new IllegalArgumentException("need at least one example per client: " + pool.size() + " examples for "
                    + clients + " clients");
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be a finite number > 0, got " + alpha);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, List<T>> byLabel = new LinkedHashMap<>();
        for (T t : pool) {
            byLabel.computeIfAbsent(label.apply(t), k -> new ArrayList<>()).add(t);
        }
        List<List<T>> out = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            out.add(new ArrayList<>());
        }
        for (List<T> group : byLabel.values()) {
            double[] share = dirichlet(rnd, clients, alpha);
            double cumulative = 0;
            int start = 0;
            for (int k = 0; k < clients; k++) {
                cumulative += share[k];
                int end = k == clients - 1 ? group.size() : (int) Math.round(cumulative * group.size());
                out.get(k).addAll(group.subList(start, Math.max(start, end)));
                start = Math.max(start, end);
            }
        }
        // A client left empty takes one example from the largest client, so every trainer has data.
        for (List<T> client : out) {
            if (client.isEmpty()) {
                List<T> largest = out.stream().max((a, b) -> Integer.compare(a.size(), b.size())).orElseThrow();
                client.add(largest.remove(largest.size() - 1));
            }
        }
        return out;
    }

    static double[] dirichlet(SplittableRandom rnd, int n, double alpha) {
        double[] g = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            g[i] = gamma(rnd, alpha);
            sum += g[i];
        }
        for (int i = 0; i < n; i++) {
            g[i] = sum > 0 ? g[i] / sum : 1.0 / n;
        }
        return g;
    }

    /** Marsaglia and Tsang's method; shape below 1 through the boost Gamma(a) = Gamma(a+1)·U^(1/a). */
    static double gamma(SplittableRandom rnd, double shape) {
        if (shape < 1) {
            return gamma(rnd, shape + 1) * Math.pow(rnd.nextDouble(), 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = gaussian(rnd);
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = rnd.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1 = 1 - rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
