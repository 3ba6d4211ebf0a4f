package io.fedlora.crypto.encoding;

import java.security.SecureRandom;

/**
 * How one client's update becomes the vector of 32-bit words that secure aggregation sums
 * (modulo 2^32), and how the coordinator turns the sum back into a mean update. Two formats:
 * {@link SecureUpdateFormat} (example-weighted mean, weight and loss inside the vector) and
 * {@link DistributedDpFormat} (client-level distributed DP: unweighted, noised, nothing else).
 */
public interface SecureVectorFormat {

  /** Words per encoded vector. */
  int vectorLength();

  /** Length of the float update the format takes. */
  int dimension();

  /** L2 bound every update is clipped to before encoding. */
  double clipNorm();

  /** Largest aggregation weight a client may carry; 1 when the mean is unweighted. */
  int maxWeight();

  /**
   * Encodes one client's contribution; {@code weight}, {@code loss} and {@code eval} (null: the
   * client holds no held-out data) may be ignored by the format.
   */
  int[] encode(float[] update, int weight, double loss, EvalScore eval, SecureRandom random);

  /** A contribution without a held-out score. */
  default int[] encode(float[] update, int weight, double loss, SecureRandom random) {
    return encode(update, weight, loss, null, random);
  }

  /** The mean update from the modular sum of {@code contributors} clients' vectors. */
  Aggregate decode(int[] sum, int contributors);

  /**
   * A decoded secure round.
   *
   * @param totalWeight the weight the mean was divided by (the number of clients when unweighted)
   * @param meanLoss the weighted mean training loss, or NaN where the format does not carry it
   * @param eval the mean held-out score of the clients that sent one
   */
  record Aggregate(float[] meanUpdate, long totalWeight, double meanLoss, EvalMean eval) {
    public Aggregate {
      meanUpdate = meanUpdate.clone();
    }

    public Aggregate(float[] meanUpdate, long totalWeight, double meanLoss) {
      this(meanUpdate, totalWeight, meanLoss, EvalMean.NONE);
    }

    @Override
    public float[] meanUpdate() {
      return meanUpdate.clone();
    }

    public boolean hasLoss() {
      return !Double.isNaN(meanLoss);
    }
  }
}
