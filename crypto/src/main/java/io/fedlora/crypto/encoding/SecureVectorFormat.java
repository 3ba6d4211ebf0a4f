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

  /** Encodes one client's contribution; {@code weight} and {@code loss} may be ignored. */
  int[] encode(float[] update, int weight, double loss, SecureRandom random);

  /** The mean update from the modular sum of {@code contributors} clients' vectors. */
  Aggregate decode(int[] sum, int contributors);

  /**
   * A decoded secure round.
   *
   * @param totalWeight the weight the mean was divided by (the number of clients when unweighted)
   * @param meanLoss the weighted mean training loss, or NaN where the format does not carry it
   */
  record Aggregate(float[] meanUpdate, long totalWeight, double meanLoss) {
    public Aggregate {
      meanUpdate = meanUpdate.clone();
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
