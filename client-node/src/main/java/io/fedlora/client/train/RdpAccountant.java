package io.fedlora.client.train;

/**
 * Privacy accounting for DP-SGD with Poisson sampling: Rényi DP of the sampled Gaussian mechanism
 * at integer orders (Mironov, Talwar and Zhang 2019, the exact binomial expansion for add/remove
 * adjacency), composed over steps, converted to (ε, δ) with the conversion of Balle et al. 2020
 * (the one Opacus and TF Privacy use). Integer orders only: the ε is an upper bound, slightly looser
 * than with fractional orders.
 *
 * <p>Honest scope: the guarantee is for the released parameter updates of {@code steps} DP-SGD
 * steps on one client's records. Everything else a client sends (its example count, its training
 * loss) is outside it, and steps across federated rounds compose: pass the total over all rounds.
 */
public final class RdpAccountant {

    private static final int MAX_ORDER = 256;

    private RdpAccountant() {}

    /** RDP ε at integer order {@code alpha} ≥ 2 of one sampled Gaussian step. */
    public static double rdp(double q, double sigma, int alpha) {
        if (!(q > 0 && q <= 1) || !(sigma > 0) || alpha < 2) {
            throw new IllegalArgumentException("need q in (0,1], sigma > 0, alpha >= 2; got q=" + q + ", sigma=" + sigma
                    + ", alpha=" + alpha);
        }
        if (q == 1.0) {
            return alpha / (2 * sigma * sigma);
        }
        // log A_alpha = log sum_k C(alpha,k) (1-q)^(alpha-k) q^k exp((k^2-k)/(2 sigma^2)), in log space.
        double[] terms = new double[alpha + 1];
        double max = Double.NEGATIVE_INFINITY;
        double logQ = Math.log(q);
        double log1mQ = Math.log1p(-q);
        for (int k = 0; k <= alpha; k++) {
            double t = logBinomial(alpha, k) + (alpha - k) * log1mQ + k * logQ + (k * (double) k - k) / (2 * sigma * sigma);
            terms[k] = t;
            max = Math.max(max, t);
        }
        double sum = 0;
        for (double t : terms) {
            sum += Math.exp(t - max);
        }
        return (max + Math.log(sum)) / (alpha - 1);
    }

    /** The smallest ε over integer orders 2..256 such that {@code steps} steps are (ε, δ)-DP. */
    public static double epsilon(double q, double sigma, long steps, double delta) {
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
        }
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        if (steps == 0) {
            return 0;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int a = 2; a <= MAX_ORDER; a++) {
            double r = steps * rdp(q, sigma, a);
            double eps = r + Math.log((a - 1.0) / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
            best = Math.min(best, eps);
        }
        return Math.max(0, best);
    }

    /** ε for {@code steps} steps of a config. */
    public static double epsilon(DpSgdConfig dp, long steps, double delta) {
        return epsilon(dp.samplingRate(), dp.noiseMultiplier(), steps, delta);
    }

    private static double logBinomial(int n, int k) {
        return lgammaInt(n + 1) - lgammaInt(k + 1) - lgammaInt(n - k + 1);
    }

    /** log((m-1)!) for small positive integers m. */
    private static double lgammaInt(int m) {
        double s = 0;
        for (int i = 2; i < m; i++) {
            s += Math.log(i);
        }
        return s;
    }
}
