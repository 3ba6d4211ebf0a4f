package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ParameterChecks;

/**
 * Parameter selection for client-level distributed DP, following Kairouz, Liu, Steinke 2021
 * (Sec. 5 and their accounting code): the word width b is fixed by secure aggregation (32 bits);
 * for a candidate per-client noise σ the granularity γ is the finest one whose sums cannot wrap
 * ({@link DistributedDpParameters#minimumGranularity}); σ is the smallest value for which
 * {@code rounds} rounds of the resulting mechanism, composed with
 * {@link DistributedDiscreteGaussianAccountant}, are (ε, δ)-DP at the client level.
 *
 * <p>ε falls as σ grows (γ grows with σ, but Δ₂/(σ/γ) still falls), so a bracket is grown and
 * bisected; the upper end is returned, so the result always meets the target. With 32-bit words
 * γ is tiny next to c, the rounding and discreteness terms vanish, and σ·√n ends up within a
 * fraction of a percent of the continuous Gaussian's noise for the same (ε, δ) and rounds.
 */
public final class DistributedDpCalibration {
  static final double RELATIVE_PRECISION = 1e-6;
  /** Keeps γ strictly inside the headroom rule despite floating-point rounding. */
  static final double GRANULARITY_MARGIN = 1 + 1e-6;
  /** Below σ = 1e-6·c the integer noise nears the σ/γ ≥ 1/2 floor: no meaningful target is met there. */
  static final double MIN_NOISE_PER_CLIP = 1e-6;
  static final double MAX_NOISE_PER_CLIP = 1e6;

  private DistributedDpCalibration() {}

  /**
   * The job-level privacy target the noise is calibrated for.
   *
   * @param epsilon ε over all {@code rounds} rounds of the job
   * @param delta δ
   * @param rounds how many rounds compose (each revealed sum costs one)
   */
  public record Target(double epsilon, double delta, int rounds) {
    public Target {
      ParameterChecks.targetEpsilon(epsilon);
      ParameterChecks.delta(delta);
      ParameterChecks.atLeast("rounds", rounds, 1);
    }
  }

  /**
   * The round's parameters for a sum of between {@code noiseClients} and {@code maxClients}
   * clients, each contributing {@code dimension} values clipped to {@code clipNorm}.
   */
  public static DistributedDpParameters calibrate(Target target, int dimension, double clipNorm,
      int noiseClients, int maxClients, int bits) {
    if (target == null) {
      throw new InvalidPrivacyParameterException("target must not be null");
    }
    ParameterChecks.positiveFinite("clipNorm", clipNorm);
    double lo = clipNorm / 2;
    double hi = clipNorm;
    while (epsilon(target, at(hi, dimension, clipNorm, noiseClients, maxClients, bits)) > target.epsilon()) {
      lo = hi;
      hi *= 2;
      if (hi > MAX_NOISE_PER_CLIP * clipNorm) {
        throw new PrivacyCalibrationException("no per-client noise up to " + MAX_NOISE_PER_CLIP
            + "·clip reaches epsilon " + target.epsilon() + " over " + target.rounds() + " rounds");
      }
    }
    while (epsilon(target, at(lo, dimension, clipNorm, noiseClients, maxClients, bits)) <= target.epsilon()) {
      hi = lo;
      lo /= 2;
      if (lo < MIN_NOISE_PER_CLIP * clipNorm) {
        throw new PrivacyCalibrationException("epsilon " + target.epsilon() + " is met with per-client"
            + " noise below " + MIN_NOISE_PER_CLIP + "·clip: the target protects nothing");
      }
    }
    while (hi / lo - 1 > RELATIVE_PRECISION) {
      double mid = Math.sqrt(lo * hi);
      if (epsilon(target, at(mid, dimension, clipNorm, noiseClients, maxClients, bits)) <= target.epsilon()) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return at(hi, dimension, clipNorm, noiseClients, maxClients, bits);
  }

  /** The parameters with per-client noise σ and the finest granularity that cannot wrap. */
  static DistributedDpParameters at(double sigma, int dimension, double clipNorm, int noiseClients,
      int maxClients, int bits) {
    double gamma = DistributedDpParameters.minimumGranularity(dimension, clipNorm, sigma, maxClients, bits)
        * GRANULARITY_MARGIN;
    return new DistributedDpParameters(dimension, clipNorm, gamma, sigma, noiseClients, maxClients, bits);
  }

  /** ε after {@code target.rounds()} rounds of {@code p}, at the target's δ. */
  public static double epsilon(Target target, DistributedDpParameters p) {
    return DistributedDiscreteGaussianAccountant.create().composeRounds(p.accounting(), target.rounds())
        .epsilon(target.delta());
  }
}
