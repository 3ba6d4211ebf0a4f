package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ParameterChecks;

/**
 * Finds the smallest noise multiplier sigma such that {@code steps} steps of the
 * Poisson-subsampled Gaussian at rate q are (targetEpsilon, delta)-DP under the chosen accountant.
 *
 * <p>epsilon is decreasing in sigma, so a bracket is grown geometrically and then bisected in log
 * space until hi/lo - 1 &lt;= {@code relativePrecision}; the upper end is returned, so the result
 * always meets the target. For PRV the RDP answer is a valid upper bracket (PRV epsilon &lt;= RDP
 * epsilon), which saves most of the expensive evaluations.
 */
public final class NoiseCalibration {
  /** Default relative precision of the returned sigma. */
  public static final double DEFAULT_RELATIVE_PRECISION = 1e-4;

  static final double MIN_SIGMA = 0.05;
  static final double MAX_SIGMA = 1e6;

  private NoiseCalibration() {}

  public static double noiseMultiplier(
      double samplingRate, long steps, double delta, double targetEpsilon, AccountantKind kind) {
    return noiseMultiplier(
        samplingRate, steps, delta, targetEpsilon, kind, DEFAULT_RELATIVE_PRECISION);
  }

  public static double noiseMultiplier(
      double samplingRate,
      long steps,
      double delta,
      double targetEpsilon,
      AccountantKind kind,
      double relativePrecision) {
    ParameterChecks.samplingRate(samplingRate);
    ParameterChecks.steps(steps);
    ParameterChecks.delta(delta);
    ParameterChecks.targetEpsilon(targetEpsilon);
    if (kind == null) {
      throw new InvalidPrivacyParameterException("accountant kind must not be null");
    }
    if (!(relativePrecision >= 1e-9 && relativePrecision <= 1e-3)) {
      throw new InvalidPrivacyParameterException(
          "relativePrecision must be in [1e-9, 1e-3], got " + relativePrecision);
    }
    double hi;
    double lo;
    if (kind == AccountantKind.PRV) {
      hi = noiseMultiplier(samplingRate, steps, delta, targetEpsilon, AccountantKind.RDP,
          relativePrecision);
      lo = hi * 0.8; // widened below if PRV is tighter than that
    } else {
      hi = 1.0;
      lo = 0.5;
    }
    while (epsilon(kind, samplingRate, hi, steps, delta) > targetEpsilon) {
      lo = hi;
      hi *= 2;
      if (hi > MAX_SIGMA) {
        throw new PrivacyCalibrationException("no noise multiplier <= " + MAX_SIGMA
            + " reaches epsilon " + targetEpsilon + " (q=" + samplingRate + ", steps=" + steps
            + ", delta=" + delta + ")");
      }
    }
    while (epsilon(kind, samplingRate, lo, steps, delta) <= targetEpsilon) {
      hi = lo;
      lo /= 2;
      if (lo < MIN_SIGMA) {
        throw new PrivacyCalibrationException("epsilon " + targetEpsilon + " is met even at noise"
            + " multiplier " + hi + "; below " + MIN_SIGMA + " the accountants are not reliable"
            + " (q=" + samplingRate + ", steps=" + steps + ", delta=" + delta
            + "): check that delta is well below q");
      }
    }
    while (hi / lo - 1.0 > relativePrecision) {
      double mid = Math.sqrt(lo * hi);
      if (epsilon(kind, samplingRate, mid, steps, delta) <= targetEpsilon) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  private static double epsilon(
      AccountantKind kind, double q, double sigma, long steps, double delta) {
    return kind.newAccountant().compose(q, sigma, steps).epsilon(delta);
  }
}
