package io.fedlora.crypto.encoding;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.MaskPrg;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.privacy.DiscreteGaussianSampler;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The client-level distributed DP encoding (Kairouz, Liu, Steinke 2021, Algorithm 1; parameters
 * in {@link DistributedDpParameters}). Client: clip to c, rotate (H·D, padded to P), divide by
 * γ, round each coordinate stochastically and retry the whole vector until its norm is at most
 * Δ₂ (conditional rounding: Δ₂ is the sensitivity the accountant uses), add N_Z(0, (σ/γ)²) to
 * each coordinate from the exact sampler, reduce modulo 2^32. Coordinator: read the sum's words
 * as signed integers, multiply by γ, rotate back, divide by the number of contributors.
 *
 * <p>Every client has weight 1 (client-level sensitivity is per client) and nothing but the P
 * noised words is sent: no weight word, no loss word, so the sum carries no un-noised value.
 *
 * <p>Randomness: rounding uses a fresh 32-byte seed from the caller's {@link SecureRandom}
 * expanded with {@link MaskPrg} (AES-CTR); the noise comes from {@link DiscreteGaussianSampler}
 * driven by a SecureRandom. Never java.util.Random.
 */
public final class DistributedDpFormat implements SecureVectorFormat {
  /** Each attempt fails with probability at most β = e^−½, so 200 failures in a row is a bug. */
  static final int MAX_ROUNDING_ATTEMPTS = 200;
  private static final int CHUNK = 4096;

  private final DistributedDpParameters params;
  private final RandomizedHadamard rotation;

  /** The format for one round; {@code rotationSeed} is public, the same for every client. */
  public DistributedDpFormat(DistributedDpParameters params, Bytes rotationSeed) {
    this.params = params;
    this.rotation = RandomizedHadamard.fromSeed(params.dimension(), rotationSeed);
  }

  public DistributedDpParameters parameters() {
    return params;
  }

  @Override
  public int vectorLength() {
    return params.paddedDimension();
  }

  @Override
  public int dimension() {
    return params.dimension();
  }

  @Override
  public double clipNorm() {
    return params.clipNorm();
  }

  @Override
  public int maxWeight() {
    return 1;
  }

  /**
   * Weight, loss and held-out score are ignored: the mean is unweighted, and anything sent beside
   * the noised update would escape the client-level guarantee.
   */
  @Override
  public int[] encode(float[] update, int weight, double loss, EvalScore eval, SecureRandom random) {
    return encode(update, random);
  }

  /** The P words one client contributes: its clipped, rotated, rounded, noised update. */
  public int[] encode(float[] update, SecureRandom random) {
    long[] rounded = roundConditionally(scaledRotation(update), random);
    DiscreteGaussianSampler noise = DiscreteGaussianSampler.ofSigma(params.integerNoiseSigma(), random);
    int[] out = new int[rounded.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) (rounded[i] + noise.sample()); // wraps modulo 2^32, as secure aggregation sums
    }
    Arrays.fill(rounded, 0);
    return out;
  }

  /** (1/γ)·H·D·clip(x). */
  double[] scaledRotation(float[] update) {
    if (update.length != params.dimension()) {
      throw new IllegalArgumentException(
          "update has " + update.length + " values, expected " + params.dimension());
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
    double[] y = rotation.rotate(update);
    double mult = clip / params.granularity();
    for (int i = 0; i < y.length; i++) {
      y[i] *= mult;
    }
    return y;
  }

  /** Unbiased stochastic rounding, repeated until the rounded vector's norm is at most Δ₂. */
  long[] roundConditionally(double[] y, SecureRandom random) {
    double bound = params.l2Bound();
    double boundSq = bound * bound;
    long[] out = new long[y.length];
    int[] words = new int[CHUNK];
    MaskPrg.WordStream rng = MaskPrg.stream(SecretBytes.random(MaskPrg.SEED_SIZE, random));
    for (int attempt = 0; attempt < MAX_ROUNDING_ATTEMPTS; attempt++) {
      double sq = 0;
      for (int off = 0; off < y.length; off += CHUNK) {
        int n = Math.min(CHUNK, y.length - off);
        rng.next(words, 0, n);
        for (int j = 0; j < n; j++) {
          double v = y[off + j];
          double fl = Math.floor(v);
          double u = (words[j] & 0xffffffffL) * 0x1p-32;
          long r = (long) fl + (u < v - fl ? 1 : 0);
          out[off + j] = r;
          sq += (double) r * r;
        }
      }
      if (sq <= boundSq) {
        return out;
      }
    }
    throw new IllegalStateException("conditional rounding failed " + MAX_ROUNDING_ATTEMPTS
        + " times: the update's norm was not clipped to the round's bound");
  }

  /** The unweighted mean of the {@code contributors} clients' updates (noise included). */
  @Override
  public Aggregate decode(int[] sum, int contributors) {
    int p = params.paddedDimension();
    if (sum.length != p) {
      throw new IllegalArgumentException("sum has " + sum.length + " words, expected " + p);
    }
    if (contributors < 1) {
      throw new IllegalArgumentException("contributors must be positive, got " + contributors);
    }
    double[] y = new double[p];
    for (int i = 0; i < p; i++) {
      y[i] = sum[i] * params.granularity(); // the word as a signed integer
    }
    double[] x = rotation.inverse(y);
    float[] mean = new float[params.dimension()];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = (float) (x[i] / contributors);
    }
    return new Aggregate(mean, contributors, Double.NaN);
  }
}
