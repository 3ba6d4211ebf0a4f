package io.fedlora.crypto.encoding;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.InvalidParametersException;
import io.fedlora.crypto.MaskPrg;
import io.fedlora.crypto.SecretBytes;

/**
 * The random rotation of the distributed discrete Gaussian mechanism (Kairouz, Liu, Steinke 2021,
 * Sec. 4, "flattening"): x ↦ H·D·x, where x is zero-padded to the next power of two P, D is a
 * diagonal of random ±1 and H the Walsh–Hadamard matrix scaled by 1/√P. H and D are orthonormal,
 * so the rotation keeps L2 norms (the clip survives it) and its inverse is D·H.
 *
 * <p>Why rotate: after it every coordinate is a Rademacher sum with variance ‖x‖²/P, so no single
 * coordinate carries a large share of the norm. That bounds the modular sum's range (so 32-bit
 * words do not wrap) and keeps the rounding error spread evenly.
 *
 * <p>The signs come from a public seed (shared by the coordinator and every client of a round, so
 * the coordinator can rotate the sum back) expanded with {@link MaskPrg}. Immutable.
 */
public final class RandomizedHadamard {
  /** Largest supported padded size: 2^28, the largest secure vector. */
  public static final int MAX_PADDED_DIMENSION = 1 << 28;

  private final int dimension;
  private final int paddedDimension;
  private final double[] signs;

  private RandomizedHadamard(int dimension, int paddedDimension, double[] signs) {
    this.dimension = dimension;
    this.paddedDimension = paddedDimension;
    this.signs = signs;
  }

  /** The rotation of R^{dimension} (padded to a power of two) whose signs expand {@code seed}. */
  public static RandomizedHadamard fromSeed(int dimension, Bytes seed) {
    if (dimension < 1 || dimension > MAX_PADDED_DIMENSION) {
      throw new InvalidParametersException(
          "rotation dimension must be in 1.." + MAX_PADDED_DIMENSION + ", got " + dimension);
    }
    if (seed == null || seed.size() != MaskPrg.SEED_SIZE) {
      throw new InvalidParametersException("rotation seed must be " + MaskPrg.SEED_SIZE + " bytes");
    }
    int padded = paddedDimension(dimension);
    int[] words = new int[(padded + 31) / 32];
    // The seed is public; MaskPrg only takes its key type.
    MaskPrg.stream(SecretBytes.copyOf(seed.toByteArray())).next(words, 0, words.length);
    double[] signs = new double[padded];
    for (int i = 0; i < padded; i++) {
      signs[i] = ((words[i >>> 5] >>> (i & 31)) & 1) == 0 ? 1.0 : -1.0;
    }
    return new RandomizedHadamard(dimension, padded, signs);
  }

  /** The smallest power of two that is at least {@code dimension}. */
  public static int paddedDimension(int dimension) {
    if (dimension < 1 || dimension > MAX_PADDED_DIMENSION) {
      throw new InvalidParametersException(
          "dimension must be in 1.." + MAX_PADDED_DIMENSION + ", got " + dimension);
    }
    return dimension == 1 ? 1 : Integer.highestOneBit(dimension - 1) << 1;
  }

  public int dimension() {
    return dimension;
  }

  public int paddedDimension() {
    return paddedDimension;
  }

  /** H·D·x: {@code x} has {@link #dimension()} values, the result {@link #paddedDimension()}. */
  public double[] rotate(float[] x) {
    if (x.length != dimension) {
      throw new IllegalArgumentException("vector has " + x.length + " values, expected " + dimension);
    }
    double[] y = new double[paddedDimension];
    for (int i = 0; i < dimension; i++) {
      y[i] = signs[i] * x[i];
    }
    walshHadamard(y);
    return y;
  }

  /** D·H·y for a vector of {@link #paddedDimension()} values (the inverse of {@link #rotate}). */
  public double[] inverse(double[] y) {
    if (y.length != paddedDimension) {
      throw new IllegalArgumentException(
          "vector has " + y.length + " values, expected " + paddedDimension);
    }
    double[] x = y.clone();
    walshHadamard(x);
    for (int i = 0; i < paddedDimension; i++) {
      x[i] *= signs[i];
    }
    return x;
  }

  /** In-place fast Walsh–Hadamard transform, scaled by 1/√P so that it is orthonormal. */
  static void walshHadamard(double[] a) {
    int n = a.length;
    for (int h = 1; h < n; h <<= 1) {
      for (int i = 0; i < n; i += h << 1) {
        for (int j = i; j < i + h; j++) {
          double u = a[j];
          double v = a[j + h];
          a[j] = u + v;
          a[j + h] = u - v;
        }
      }
    }
    double scale = 1.0 / Math.sqrt(n);
    for (int i = 0; i < n; i++) {
      a[i] *= scale;
    }
  }
}
