package io.fedlora.crypto.encoding;

import io.fedlora.crypto.InvalidParametersException;

/**
 * Non-secret parameters of the fixed-point encoding of one update (see {@link QuantizedEncoder}).
 *
 * <p>Overflow headroom: after clipping, every coordinate of {@code weight·update} is at most
 * {@code maxWeight·clipNorm} in absolute value, so an encoded coordinate is at most
 * {@code B = ⌈maxWeight·clipNorm·scale⌉}. The modular sum of {@code n = cohortSize} encoded vectors
 * decodes correctly (as a signed 32-bit integer) iff {@code n·B ≤ 2^31 − 1}; likewise
 * {@code n·maxWeight ≤ 2^31 − 1} for the weight element. Both are checked here, once.
 *
 * <p>Float range: a client may put any words into the sum, and a word w decodes to
 * {@code w / (scale·totalWeight)} with {@code |w| ≤ 2^31} and {@code totalWeight ≥ 1}, so every
 * sum decodes to finite float32 values iff {@code 2^31 / scale ≤ Float.MAX_VALUE} — roughly
 * {@code n·maxWeight·clipNorm ≤ 3.4e38}. Also checked here.
 *
 * @param dimension number of float parameters P (the encoded vector has P + 1 words)
 * @param clipNorm L2 clipping bound C
 * @param scale fixed-point scale: a value v encodes as about v·scale
 * @param cohortSize largest number of clients whose vectors are summed
 * @param maxWeight largest per-client sample weight (1 for an unweighted mean)
 */
public record EncodingParameters(
    int dimension, double clipNorm, double scale, int cohortSize, int maxWeight) {
  public static final int MAX_DIMENSION = 1 << 28;
  private static final double INT_MAX = Integer.MAX_VALUE;
  /** Below this, the largest word of a sum decodes beyond float32's range. */
  static final double MIN_SCALE = 0x1p31 / Float.MAX_VALUE;

  public EncodingParameters {
    StringBuilder errors = new StringBuilder();
    if (dimension < 1 || dimension > MAX_DIMENSION) {
      errors.append("dimension must be in 1..").append(MAX_DIMENSION).append(", got ").append(dimension).append("; ");
    }
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      errors.append("clipNorm must be positive and finite, got ").append(clipNorm).append("; ");
    }
    if (!(scale > 0) || Double.isInfinite(scale)) {
      errors.append("scale must be positive and finite, got ").append(scale).append("; ");
    }
    if (cohortSize < 1) {
      errors.append("cohortSize must be positive, got ").append(cohortSize).append("; ");
    }
    if (maxWeight < 1) {
      errors.append("maxWeight must be positive, got ").append(maxWeight).append("; ");
    }
    if (errors.length() == 0) {
      double perClient = Math.ceil((double) maxWeight * clipNorm * scale);
      double total = cohortSize * perClient;
      if (total > INT_MAX) {
        double maxScale = Math.floor(INT_MAX / cohortSize) / ((double) maxWeight * clipNorm);
        errors.append(String.format(
            "overflow: cohortSize %d × ⌈maxWeight·clipNorm·scale⌉ = %d × %.0f = %.4g exceeds 2^31−1;"
                + " use scale ≤ %.6g (or a smaller clipNorm, maxWeight or cohort); ",
            cohortSize, cohortSize, perClient, total, maxScale));
      }
      if ((double) cohortSize * maxWeight > INT_MAX) {
        errors.append("overflow: cohortSize × maxWeight exceeds 2^31−1; ");
      }
      if (scale < MIN_SCALE) {
        errors.append(String.format("scale %.4g is below %.4g: a sum could decode to infinite float32 values"
            + " (use a smaller clipNorm, maxWeight or cohort); ", scale, MIN_SCALE));
      }
    }
    if (errors.length() > 0) {
      throw new InvalidParametersException(errors.substring(0, errors.length() - 2));
    }
  }

  /** Length of the encoded vector: the P parameters followed by the weight. */
  public int encodedLength() {
    return dimension + 1;
  }

  /**
   * Worst-case absolute error per coordinate of the decoded mean: each client's stochastic rounding
   * is off by less than one unit (1/scale), and the mean divides the sum by the total weight.
   */
  public double meanErrorBound(int clients, long totalWeight) {
    return clients / (scale * totalWeight);
  }
}
