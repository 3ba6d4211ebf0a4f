package io.fedlora.crypto.privacy.internal;

/**
 * A privacy-loss distribution on the grid {k h}: mass[i] is P(L = (offset + i) h) under the first
 * distribution of the pair, plus an atom at +infinity.
 *
 * <p>Built by the "connect-the-dots" discretisation of Doroshenko, Ghazi, Kamath, Kumar, Manurangsi
 * (2022): as a function of x = e^eps, delta is convex and decreasing; the piecewise-linear
 * interpolation of delta through the grid points (and through (0, 1)), flat at delta(k_max h) to
 * the right, lies above the true curve, is itself the hockey-stick curve of a valid pair of
 * distributions supported on the grid, and therefore dominates the mechanism. Domination survives
 * composition, so every epsilon derived from it is an upper bound (up to floating point). Mass at
 * grid point k is x_k (s_right - s_left), s the slopes of the interpolant.
 */
public final class PrivacyLossPmf {
  private final double h;
  private final long offset;
  private final double[] mass;
  private final double infinityMass;
  private double[] logMass; // lazily filled cache; benign race (idempotent)

  PrivacyLossPmf(double h, long offset, double[] mass, double infinityMass) {
    this.h = h;
    this.offset = offset;
    this.mass = mass;
    this.infinityMass = infinityMass;
  }

  /**
   * Connect-the-dots PLD of one subsampled-Gaussian step in one direction.
   *
   * @param h grid spacing of loss values
   * @param tailZ normal quantile bounding the mass cut at both ends (e.g. 11.5 for ~1e-30)
   */
  public static PrivacyLossPmf subsampledGaussian(
      double q, double sigma, LossDirection direction, double h, double tailZ) {
    SubsampledGaussianHockeyStick curve = new SubsampledGaussianHockeyStick(q, sigma, direction);
    long kLo = (long) Math.floor(curve.lowestLoss(tailZ) / h);
    long kHi = (long) Math.ceil(curve.highestLoss(tailZ) / h);
    if (kHi <= kLo) {
      kHi = kLo + 1;
    }
    long count = kHi - kLo + 1;
    if (count > 50_000_000L) {
      throw new IllegalStateException(
          "privacy-loss grid too fine: " + count + " points for h=" + h);
    }
    int n = (int) count;
    double[] delta = new double[n];
    for (int i = 0; i < n; i++) {
      delta[i] = curve.delta((kLo + i) * h);
    }
    double expm1H = Math.expm1(h);
    double[] mass = new double[n];
    double x0 = Math.exp(kLo * h);
    double slopeLeft = (delta[0] - 1.0) / x0; // chord from (0, 1)
    for (int i = 0; i < n; i++) {
      double x = Math.exp((kLo + i) * h);
      double slopeRight = i + 1 < n ? (delta[i + 1] - delta[i]) / (x * expm1H) : 0.0;
      mass[i] = Math.max(0.0, x * (slopeRight - slopeLeft));
      slopeLeft = slopeRight;
    }
    return new PrivacyLossPmf(h, kLo, mass, delta[n - 1]);
  }

  public double h() {
    return h;
  }

  /** Grid index of mass[0]. */
  public long offset() {
    return offset;
  }

  public int size() {
    return mass.length;
  }

  public double mass(int i) {
    return mass[i];
  }

  public double infinityMass() {
    return infinityMass;
  }

  /** log E[e^{lambda L}] over the finite part. */
  public double logMgf(double lambda) {
    double[] logs = logMass();
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < logs.length; i++) {
      max = Math.max(max, logs[i] + lambda * (offset + i) * h);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      return max;
    }
    double sum = 0.0;
    for (int i = 0; i < logs.length; i++) {
      double v = logs[i] + lambda * (offset + i) * h - max;
      if (v > -745) {
        sum += Math.exp(v);
      }
    }
    return max + Math.log(sum);
  }

  private double[] logMass() {
    double[] logs = logMass;
    if (logs == null) {
      logs = new double[mass.length];
      for (int i = 0; i < mass.length; i++) {
        logs[i] = mass[i] > 0 ? Math.log(mass[i]) : Double.NEGATIVE_INFINITY;
      }
      logMass = logs;
    }
    return logs;
  }
}
