package io.fedlora.crypto.encoding;

import io.fedlora.crypto.MaskPrg;
import io.fedlora.crypto.SecretBytes;
import java.security.SecureRandom;

/**
 * Fixed-point encoding of model updates for secure aggregation.
 *
 * <p>encode: clip to L2 norm C (x ← x·min(1, C/‖x‖)), multiply by the sample weight w and the
 * scale s, round each coordinate stochastically (up with probability equal to the fractional
 * part, so the rounding is unbiased and off by less than 1), reduce mod 2^32 (Java {@code int}),
 * and append w as the last word. The rounding randomness comes from a fresh 32-byte seed drawn from
 * the caller's {@link SecureRandom} and expanded with {@link MaskPrg} (a CSPRNG, one SecureRandom
 * call per vector instead of one per coordinate).
 *
 * <p>decode: interpret each word of the modular sum as a signed 32-bit integer (exact under the
 * headroom rule of {@link EncodingParameters}) and divide by s·Σw.
 */
public final class QuantizedEncoder {
  private static final int CHUNK = 4096;
  private final EncodingParameters params;

  public QuantizedEncoder(EncodingParameters params) {
    this.params = params;
  }

  public EncodingParameters parameters() {
    return params;
  }

  /** Encodes {@code update} (length P) with sample {@code weight}; returns P + 1 words. */
  public int[] encode(float[] update, int weight, SecureRandom random) {
    int p = params.dimension();
    if (update.length != p) {
      throw new IllegalArgumentException("update has " + update.length + " values, expected " + p);
    }
    if (weight < 1 || weight > params.maxWeight()) {
      throw new IllegalArgumentException("weight must be in 1.." + params.maxWeight() + ", got " + weight);
    }
    double sq = 0;
    for (float v : update) {
      sq += (double) v * v;
    }
    if (!Double.isFinite(sq)) {
      throw new IllegalArgumentException("update contains NaN or infinite values");
    }
    double norm = Math.sqrt(sq);
    double clip = norm > params.clipNorm() ? params.clipNorm() / norm : 1.0;
    double mult = clip * weight * params.scale();
    int[] out = new int[p + 1];
    int[] words = new int[CHUNK];
    MaskPrg.WordStream rng = MaskPrg.stream(SecretBytes.random(MaskPrg.SEED_SIZE, random));
    for (int off = 0; off < p; off += CHUNK) {
      int n = Math.min(CHUNK, p - off);
      rng.next(words, 0, n);
      for (int j = 0; j < n; j++) {
        double y = update[off + j] * mult;
        double fl = Math.floor(y);
        double u = (words[j] & 0xffffffffL) * 0x1p-32;
        out[off + j] = (int) ((long) fl + (u < y - fl ? 1 : 0));
      }
    }
    out[p] = weight;
    return out;
  }

  /**
   * Decodes the modular sum of encoded vectors into the weighted mean update.
   *
   * @throws IllegalArgumentException if the sum has the wrong length or a total weight outside
   *     1..cohortSize·maxWeight
   */
  public DecodedAggregate decode(int[] sum) {
    int p = params.dimension();
    if (sum.length != p + 1) {
      throw new IllegalArgumentException("sum has " + sum.length + " words, expected " + (p + 1));
    }
    long totalWeight = sum[p];
    // At most cohortSize honest weights of at most maxWeight each: anything else is no sum of encodings.
    long most = (long) params.cohortSize() * params.maxWeight();
    if (totalWeight < 1 || totalWeight > most) {
      throw new IllegalArgumentException("total weight must be in 1.." + most + ", got " + totalWeight);
    }
    double inv = 1.0 / (params.scale() * totalWeight);
    float[] mean = new float[p];
    for (int i = 0; i < p; i++) {
      mean[i] = (float) (sum[i] * inv);
    }
    return new DecodedAggregate(mean, totalWeight);
  }
}
