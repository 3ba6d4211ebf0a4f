package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ParameterChecks;

/**
 * Numerical parameters of {@link PldAccountant}.
 *
 * @param lossInterval grid spacing h of privacy-loss values. The connect-the-dots PLD is exact at
 *     grid points and dominates the mechanism, so any h gives an upper bound; the overestimate per
 *     step is a spread of at most h in the loss, which over T steps adds variance &lt;= T h^2 / 4 to
 *     the composed loss (negligible for h = 1e-4 at T &lt;= 10^6 in DP-SGD regimes; measured
 *     &lt; 0.1% on the published reference cases, see the tests).
 * @param tailBound mass allowed outside the composed window on each side (added to delta for the
 *     upper side), and per-step mass cut at the single-step support ends (moved to +infinity, i.e.
 *     added to delta). Must be far below the deltas asked for.
 * @param maxFftLength largest FFT length (power of two); when the composed window would need more,
 *     the accountant doubles h (still an upper bound, slightly looser) until it fits.
 */
public record PldDiscretisation(double lossInterval, double tailBound, int maxFftLength) {
  /** h = 1e-4, tail 1e-15, FFT length up to 2^22 (~100 MB of working arrays). */
  public static final PldDiscretisation DEFAULT = new PldDiscretisation(1e-4, 1e-15, 1 << 22);

  public PldDiscretisation {
    ParameterChecks.positiveFinite("lossInterval", lossInterval);
    if (lossInterval > 0.1) {
      throw new InvalidPrivacyParameterException("lossInterval must be <= 0.1, got " + lossInterval);
    }
    if (!(tailBound > 0.0 && tailBound < 1e-6)) {
      throw new InvalidPrivacyParameterException(
          "tailBound must be in (0, 1e-6), got " + tailBound);
    }
    if (maxFftLength < 1024 || Integer.bitCount(maxFftLength) != 1 || maxFftLength > (1 << 26)) {
      throw new InvalidPrivacyParameterException(
          "maxFftLength must be a power of two in [2^10, 2^26], got " + maxFftLength);
    }
  }
}
