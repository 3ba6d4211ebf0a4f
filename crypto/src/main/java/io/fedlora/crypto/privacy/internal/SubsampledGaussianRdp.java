package io.fedlora.crypto.privacy.internal;

/**
 * Renyi DP of one step of the Poisson-subsampled Gaussian mechanism (sampling rate q, noise
 * multiplier sigma, L2 sensitivity 1), add-or-remove-one adjacency.
 *
 * <p>Mironov, Talwar, Zhang, "Renyi Differential Privacy of the Sampled Gaussian Mechanism" (2019):
 * RDP(alpha) = log(A_alpha) / (alpha - 1) with A_alpha = E_{z ~ N(0, sigma^2)}[((1 - q) + q
 * exp((2z - 1) / (2 sigma^2)))^alpha], which bounds both directions of the divergence (their
 * Theorem 4). Integer alpha: the binomial expansion (Section 3.2), summed in log space. Fractional
 * alpha: the two convergent series split at z0 = sigma^2 log(1/q - 1) + 1/2 (Section 3.3).
 */
public final class SubsampledGaussianRdp {
  /** Series terms below e^-30 (relative to A_alpha &gt;= 1) no longer change the sum. */
  private static final double NEGLIGIBLE_LOG_TERM = -30.0;

  private static final int MAX_SERIES_TERMS = 100_000;

  private SubsampledGaussianRdp() {}

  /** RDP of one step at order alpha &gt; 1. */
  public static double rdp(double q, double sigma, double alpha) {
    if (!(alpha > 1.0)) {
      throw new IllegalArgumentException("RDP order must be > 1, got " + alpha);
    }
    if (Double.isInfinite(alpha)) {
      return Double.POSITIVE_INFINITY;
    }
    if (q == 1.0) {
      return alpha / (2.0 * sigma * sigma);
    }
    double logA =
        alpha == Math.rint(alpha) ? logAInteger(q, sigma, (long) alpha) : logAFractional(q, sigma, alpha);
    return Math.max(0.0, logA / (alpha - 1.0));
  }

  /** log A_alpha for integer alpha: log sum_i C(alpha, i) q^i (1-q)^(alpha-i) e^{(i^2 - i)/(2 sigma^2)}. */
  static double logAInteger(double q, double sigma, long alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2.0 * sigma * sigma;
    double logBinom = 0.0; // log C(alpha, 0)
    double acc = Double.NEGATIVE_INFINITY;
    for (long i = 0; i <= alpha; i++) {
      if (i > 0) {
        logBinom += Math.log((double) (alpha - i + 1)) - Math.log((double) i);
      }
      double term = logBinom + i * logQ + (alpha - i) * log1mQ + (double) (i * i - i) / twoSigma2;
      acc = LogMath.logAdd(acc, term);
    }
    return acc;
  }

  /**
   * log A_alpha for fractional alpha: A = sum_i C(alpha,i) [ q^i (1-q)^(alpha-i) e^{(i^2-i)/(2s^2)}
   * Phi-bar((i - z0)/s) + q^(alpha-i) (1-q)^i e^{(j^2-j)/(2s^2)} Phi-bar((z0 - j)/s) ], j = alpha - i,
   * where the generalised binomial coefficient changes sign once i exceeds alpha.
   */
  static double logAFractional(double q, double sigma, double alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double sigma2 = sigma * sigma;
    double z0 = sigma2 * (Math.log(1.0 / q - 1.0)) + 0.5;
    double positive0 = Double.NEGATIVE_INFINITY;
    double negative0 = Double.NEGATIVE_INFINITY;
    double positive1 = Double.NEGATIVE_INFINITY;
    double negative1 = Double.NEGATIVE_INFINITY;
    double logAbsBinom = 0.0;
    boolean binomPositive = true;
    double previousMax = Double.POSITIVE_INFINITY;
    for (int i = 0; i < MAX_SERIES_TERMS; i++) {
      if (i > 0) {
        double factor = alpha - (i - 1);
        logAbsBinom += Math.log(Math.abs(factor)) - Math.log(i);
        if (factor < 0) {
          binomPositive = !binomPositive;
        }
      }
      double j = alpha - i;
      double s0 =
          logAbsBinom + i * logQ + j * log1mQ + (i * (double) i - i) / (2.0 * sigma2)
              + NormalDistribution.logSf((i - z0) / sigma);
      double s1 =
          logAbsBinom + j * logQ + i * log1mQ + (j * j - j) / (2.0 * sigma2)
              + NormalDistribution.logSf((z0 - j) / sigma);
      if (binomPositive) {
        positive0 = LogMath.logAdd(positive0, s0);
        positive1 = LogMath.logAdd(positive1, s1);
      } else {
        negative0 = LogMath.logAdd(negative0, s0);
        negative1 = LogMath.logAdd(negative1, s1);
      }
      double max = Math.max(s0, s1);
      if (i > alpha && max < NEGLIGIBLE_LOG_TERM && max < previousMax) {
        break;
      }
      previousMax = max;
    }
    double a0 = LogMath.logSub(positive0, negative0);
    double a1 = LogMath.logSub(positive1, negative1);
    return LogMath.logAdd(a0, a1);
  }
}
