package io.fedlora.crypto.secagg;

import io.fedlora.crypto.InvalidParametersException;

/**
 * SecAgg+ graph degree k and Shamir threshold t for a cohort of n clients, derived from the
 * tolerated fraction δ of dropouts and γ of corrupt clients (colluding with the server), following
 * Bell et al. 2020 ("Secure single-server aggregation with (poly)logarithmic overhead") in spirit.
 *
 * <p>Each client shares its self-mask seed and mask key t-of-k among its k neighbours in a random
 * k-regular (Harary) graph, and masks pairwise with them. With ε_s = 2^−σ/n and ε_c = 2^−η/n
 * (σ = securityBits, η = correctnessBits, union bound over the n clients), the smallest even
 * k &lt; n−1 is chosen for which, with C ~ Bin(k, γ) corrupt and D ~ Bin(k, δ+γ) lost neighbours:
 *
 * <ol>
 *   <li>c* = min{c : P[C &gt; c] ≤ ε_s} bounds a client's corrupt neighbours;
 *   <li>t = ⌊(k + c*)/2⌋ + 1, i.e. 2t &gt; k + c*: the server cannot collect t shares of both the
 *       self-mask seed and the mask key of any honest client (honest clients reveal only one kind
 *       per peer), and c* &lt; t corrupt neighbours alone learn nothing;
 *   <li>P[D &gt; k − t] ≤ ε_c: every client keeps at least t live honest neighbours.
 * </ol>
 *
 * <p>If no k &lt; n−1 works (small n), the graph is complete: k = n−1, c* = ⌈γn⌉ (a worst-case
 * count, not a tail bound), t = ⌊(k + c*)/2⌋ + 1, and it must hold that k − ⌈δn⌉ − c* ≥ t,
 * otherwise the configuration is rejected. Bounds: 1 ≤ t ≤ k ≤ n−1, n ≥ 3, δ + γ &lt; 1.
 *
 * @param cohortSize n
 * @param dropoutFraction δ
 * @param corruptFraction γ
 * @param securityBits σ
 * @param correctnessBits η
 * @param neighbours k, the degree of every client
 * @param threshold t
 * @param completeGraph whether k = n − 1
 */
public record SecAggParameters(
    int cohortSize,
    double dropoutFraction,
    double corruptFraction,
    int securityBits,
    int correctnessBits,
    int neighbours,
    int threshold,
    boolean completeGraph) {

  public static final int MAX_COHORT = 65_535;

  public SecAggParameters {
    if (cohortSize < 2 || cohortSize > MAX_COHORT) {
      throw new InvalidParametersException("cohortSize must be in 2.." + MAX_COHORT);
    }
    if (neighbours < 1 || neighbours > cohortSize - 1) {
      throw new InvalidParametersException("neighbours must be in 1..n-1 = " + (cohortSize - 1));
    }
    if (threshold < 1 || threshold > neighbours) {
      throw new InvalidParametersException("threshold must be in 1..neighbours = " + neighbours);
    }
    if (completeGraph != (neighbours == cohortSize - 1)) {
      throw new InvalidParametersException("completeGraph must equal (neighbours == n-1)");
    }
    if (!completeGraph && (neighbours % 2 != 0)) {
      throw new InvalidParametersException("a sparse graph needs an even degree, got " + neighbours);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builder; {@link #build()} applies the formula above and reports every problem at once. */
  public static final class Builder {
    private int cohortSize = -1;
    private double dropout = 0.1;
    private double corrupt = 0.05;
    private int securityBits = 40;
    private int correctnessBits = 20;
    private int fixedK = -1;
    private int fixedT = -1;

    public Builder cohortSize(int n) {
      this.cohortSize = n;
      return this;
    }

    /** δ, default 0.1. */
    public Builder dropoutFraction(double delta) {
      this.dropout = delta;
      return this;
    }

    /** γ, default 0.05. */
    public Builder corruptFraction(double gamma) {
      this.corrupt = gamma;
      return this;
    }

    /** σ, default 40. */
    public Builder securityBits(int sigma) {
      this.securityBits = sigma;
      return this;
    }

    /** η, default 20. */
    public Builder correctnessBits(int eta) {
      this.correctnessBits = eta;
      return this;
    }

    /** Overrides the formula (tests, experiments); only the structural bounds are checked. */
    public Builder explicit(int neighbours, int threshold) {
      this.fixedK = neighbours;
      this.fixedT = threshold;
      return this;
    }

    public SecAggParameters build() {
      StringBuilder err = new StringBuilder();
      int n = cohortSize;
      if (n < 3 || n > MAX_COHORT) {
        err.append("cohortSize must be in 3..").append(MAX_COHORT).append(", got ").append(n).append("; ");
      }
      if (!(dropout >= 0 && dropout < 1)) {
        err.append("dropoutFraction must be in [0,1), got ").append(dropout).append("; ");
      }
      if (!(corrupt >= 0 && corrupt < 1)) {
        err.append("corruptFraction must be in [0,1), got ").append(corrupt).append("; ");
      }
      if (!(dropout + corrupt < 1)) {
        err.append("dropoutFraction + corruptFraction must be < 1; ");
      }
      if (securityBits < 1 || securityBits > 256 || correctnessBits < 1 || correctnessBits > 256) {
        err.append("securityBits and correctnessBits must be in 1..256; ");
      }
      if (err.length() > 0) {
        throw new InvalidParametersException(err.substring(0, err.length() - 2));
      }
      if (fixedK > 0) {
        return new SecAggParameters(n, dropout, corrupt, securityBits, correctnessBits, fixedK, fixedT,
            fixedK == n - 1);
      }
      double epsS = Math.pow(2, -securityBits) / n;
      double epsC = Math.pow(2, -correctnessBits) / n;
      for (int k = 2; k < n - 1; k += 2) {
        int c = 0;
        while (c < k && upperTail(k, corrupt, c + 1) > epsS) {
          c++;
        }
        int t = (k + c) / 2 + 1;
        if (t > k) {
          continue;
        }
        if (upperTail(k, Math.min(1.0, dropout + corrupt), k - t + 1) <= epsC) {
          return new SecAggParameters(n, dropout, corrupt, securityBits, correctnessBits, k, t, false);
        }
      }
      int k = n - 1;
      int c = (int) Math.ceil(corrupt * n - 1e-9);
      int d = (int) Math.ceil(dropout * n - 1e-9);
      int t = (k + Math.min(c, k)) / 2 + 1;
      if (t > k || k - d - c < t) {
        throw new InvalidParametersException(String.format(
            "cohort of %d cannot tolerate dropoutFraction %.3f and corruptFraction %.3f: the complete"
                + " graph needs k − ⌈δn⌉ − ⌈γn⌉ ≥ t = ⌊(k + ⌈γn⌉)/2⌋ + 1, but %d − %d − %d < %d",
            n, dropout, corrupt, k, d, c, t));
      }
      return new SecAggParameters(n, dropout, corrupt, securityBits, correctnessBits, k, t, true);
    }
  }

  /** P[Bin(k, p) ≥ c], summed in log space for stability. */
  static double upperTail(int k, double p, int c) {
    if (c <= 0) {
      return 1.0;
    }
    if (c > k || p <= 0) {
      return 0.0;
    }
    if (p >= 1) {
      return 1.0;
    }
    double lp = Math.log(p);
    double lq = Math.log1p(-p);
    double logBinom = 0; // log C(k, 0)
    double sum = 0;
    for (int i = 0; i <= k; i++) {
      if (i > 0) {
        logBinom += Math.log((double) (k - i + 1) / i);
      }
      if (i >= c) {
        sum += Math.exp(logBinom + i * lp + (k - i) * lq);
      }
    }
    return Math.min(1.0, sum);
  }
}
