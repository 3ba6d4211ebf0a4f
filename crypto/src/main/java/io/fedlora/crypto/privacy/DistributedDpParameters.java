package io.fedlora.crypto.privacy;

import io.fedlora.crypto.encoding.RandomizedHadamard;

/**
 * One round of client-level distributed DP as every client runs it (Kairouz, Liu, Steinke 2021,
 * "The Distributed Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation",
 * Algorithm 1): clip the update to L2 norm c, rotate it (randomized Hadamard, padded to P = a
 * power of two), divide by the granularity γ, round to integers conditionally (retry until the
 * rounded norm is at most {@link #l2Bound()}), add N_Z(0, (σ/γ)²) noise per coordinate, reduce
 * modulo 2^b. Secure aggregation then reveals only the sum.
 *
 * <p>All cross-field rules are checked here, once: σ/γ ≥ 1/2 (the accountant's bound needs it)
 * and the modular headroom: every coordinate of the sum of {@code maxClients} vectors must stay
 * inside the signed b-bit range except with probability {@link #WRAP_PROBABILITY} (see
 * {@link #wrapStddevs()} and {@link #sumStddev()}), otherwise the decoded mean would be garbage.
 *
 * @param dimension d, number of update coordinates that carry the update
 * @param clipNorm c, the L2 bound on one client's update (the sensitivity before scaling)
 * @param granularity γ: one integer unit is γ in update units
 * @param clientNoiseStddev σ, each client's noise parameter in update units
 * @param noiseClients n, the fewest clients whose noise any revealed sum holds (the noise is
 *     calibrated for n: the sum's noise parameter is at least σ·√n)
 * @param maxClients the most clients a sum may hold (for the headroom rule)
 * @param bits b, the width of a masked word
 */
public record DistributedDpParameters(
    int dimension,
    double clipNorm,
    double granularity,
    double clientNoiseStddev,
    int noiseClients,
    int maxClients,
    int bits) {

  /** β of the conditional rounding: the chance one rounding attempt is rejected (KLS21's default). */
  public static final double ROUNDING_BETA = Math.exp(-0.5);
  /** Bound on the chance that any coordinate of a round's sum wraps modulo 2^b. */
  public static final double WRAP_PROBABILITY = 1e-9;
  /** Secure aggregation's words are 32-bit. */
  public static final int MASKED_WORD_BITS = 32;

  public DistributedDpParameters {
    if (dimension < 1 || dimension > RandomizedHadamard.MAX_PADDED_DIMENSION) {
      throw new InvalidPrivacyParameterException("dimension must be in 1.."
          + RandomizedHadamard.MAX_PADDED_DIMENSION + ", got " + dimension);
    }
    positive("clipNorm", clipNorm);
    positive("granularity", granularity);
    positive("clientNoiseStddev", clientNoiseStddev);
    if (noiseClients < 1 || maxClients < noiseClients) {
      throw new InvalidPrivacyParameterException("need 1 <= noiseClients <= maxClients, got "
          + noiseClients + " and " + maxClients);
    }
    if (bits < 2 || bits > MASKED_WORD_BITS) {
      throw new InvalidPrivacyParameterException(
          "bits must be in 2.." + MASKED_WORD_BITS + ", got " + bits);
    }
    if (clientNoiseStddev / granularity < 0.5) {
      throw new InvalidPrivacyParameterException(String.format(
          "clientNoiseStddev / granularity = %.4g: the integer noise parameter must be >= 0.5",
          clientNoiseStddev / granularity));
    }
    double limit = halfRange(bits) * (1 + 1e-9);
    double need = wrapStddevs(RandomizedHadamard.paddedDimension(dimension))
        * sumStddev(dimension, clipNorm, granularity, clientNoiseStddev, maxClients);
    if (!(need <= limit)) {
      throw new InvalidPrivacyParameterException(String.format(
          "granularity %.4g is too fine for %d-bit words: the sum of %d clients would wrap"
              + " (needs %.4g, the range is +-%.4g); use granularity >= %.4g",
          granularity, bits, maxClients, need, halfRange(bits),
          minimumGranularity(dimension, clipNorm, clientNoiseStddev, maxClients, bits)));
    }
  }

  private static void positive(String name, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new InvalidPrivacyParameterException(name + " must be finite and > 0, got " + v);
    }
  }

  /** P: the rotation's size, and the number of words per masked vector. */
  public int paddedDimension() {
    return RandomizedHadamard.paddedDimension(dimension);
  }

  /** σ/γ: the discrete Gaussian parameter each client samples its integer noise with. */
  public double integerNoiseSigma() {
    return clientNoiseStddev / granularity;
  }

  /**
   * Δ₂, the bound the conditionally rounded integer vector must meet (KLS21 Algorithm 1):
   * Δ₂² = min{ (c/γ + √P)², c²/γ² + P/4 + √(2 ln(1/β))·(c/γ + √P/2) }. It is one client's L2
   * sensitivity in integer units (its vector replaced by zeros).
   */
  public double l2Bound() {
    double s = clipNorm / granularity;
    double p = paddedDimension();
    double loose = (s + Math.sqrt(p)) * (s + Math.sqrt(p));
    double tight = s * s + p / 4 + Math.sqrt(2 * Math.log(1 / ROUNDING_BETA)) * (s + Math.sqrt(p) / 2);
    return Math.sqrt(Math.min(loose, tight));
  }

  /** The accountant's view of this round: n clients' N_Z(0, (σ/γ)²) over P coordinates, Δ₂. */
  public DistributedDiscreteGaussianParameters accounting() {
    return DistributedDiscreteGaussianParameters.of(
        noiseClients, integerNoiseSigma(), paddedDimension(), l2Bound());
  }

  /**
   * The stated error of the decoded mean of {@code contributors} clients: a bound on the standard
   * deviation of each coordinate's error. Per client, rounding adds variance at most γ²/4 and the
   * noise at most σ² (a discrete Gaussian's variance is below its parameter's square); the
   * rotation is orthonormal, so the per-coordinate bound survives it; the mean divides by n.
   */
  public double meanErrorStddev(int contributors) {
    if (contributors < 1) {
      throw new IllegalArgumentException("contributors must be positive, got " + contributors);
    }
    double perClient = granularity * granularity / 4 + clientNoiseStddev * clientNoiseStddev;
    return Math.sqrt(perClient / contributors);
  }

  /**
   * The sub-Gaussian scale of one coordinate of the sum of n clients, in integer units: the
   * rotated data (the sum of n clipped updates has norm at most n·c; after the shared rotation
   * each coordinate is a Rademacher sum with scale n·c/(γ√P)), the rounding errors (each in an
   * interval of length 1, scale 1/2) and the noise (σ/γ per client) add in quadrature.
   */
  static double sumStddev(int dimension, double clipNorm, double granularity, double sigma, int n) {
    double p = RandomizedHadamard.paddedDimension(dimension);
    double data = n * clipNorm / (granularity * Math.sqrt(p));
    double noise = sigma / granularity;
    return Math.sqrt(data * data + n * 0.25 + n * noise * noise);
  }

  /** k with 2P·exp(−k²/2) = {@link #WRAP_PROBABILITY}: a union bound over P sub-Gaussian coordinates. */
  static double wrapStddevs(int paddedDimension) {
    return Math.sqrt(2 * Math.log(2.0 * paddedDimension / WRAP_PROBABILITY));
  }

  static double halfRange(int bits) {
    return Math.pow(2, bits - 1) - 1;
  }

  /**
   * The finest granularity whose sums cannot wrap (headroom rule above, solved for γ):
   * γ² = (n²c²/P + nσ²) / (R²/k² − n/4), R = 2^(b−1) − 1.
   */
  public static double minimumGranularity(
      int dimension, double clipNorm, double sigma, int maxClients, int bits) {
    int p = RandomizedHadamard.paddedDimension(dimension);
    double k = wrapStddevs(p);
    double r = halfRange(bits);
    double n = maxClients;
    double room = r * r / (k * k) - n / 4;
    if (!(room > 0)) {
      throw new InvalidPrivacyParameterException(
          bits + "-bit words cannot hold the rounding error of " + maxClients + " clients");
    }
    return Math.sqrt((n * n * clipNorm * clipNorm / p + n * sigma * sigma) / room);
  }
}
