package io.fedlora.crypto.privacy.internal;

/**
 * In-place iterative radix-2 complex FFT (Cooley-Tukey, decimation in time). Twiddles are taken
 * from {@link Math#cos}/{@link Math#sin} directly rather than by recurrence, which keeps the
 * round-off at O(log n) ulps; the accountant raises transforms to powers of 10^4..10^6.
 */
public final class Fft {
  private final int n;
  private final int logN;
  private final double[] cos;
  private final double[] sin;

  /** A transform of length {@code n}, a power of two &gt;= 1. */
  public Fft(int n) {
    if (n < 1 || Integer.bitCount(n) != 1) {
      throw new IllegalArgumentException("FFT length must be a power of two, got " + n);
    }
    this.n = n;
    this.logN = Integer.numberOfTrailingZeros(n);
    int half = Math.max(1, n / 2);
    this.cos = new double[half];
    this.sin = new double[half];
    for (int i = 0; i < half; i++) {
      double angle = -2.0 * Math.PI * i / n;
      cos[i] = Math.cos(angle);
      sin[i] = Math.sin(angle);
    }
  }

  public int length() {
    return n;
  }

  /** Forward transform X_k = sum_j x_j e^{-2 pi i jk/n}. */
  public void forward(double[] re, double[] im) {
    transform(re, im, false);
  }

  /** Inverse transform, including the 1/n factor. */
  public void inverse(double[] re, double[] im) {
    transform(re, im, true);
    double scale = 1.0 / n;
    for (int i = 0; i < n; i++) {
      re[i] *= scale;
      im[i] *= scale;
    }
  }

  private void transform(double[] re, double[] im, boolean inverse) {
    if (re.length != n || im.length != n) {
      throw new IllegalArgumentException("arrays must have length " + n);
    }
    if (n == 1) {
      return;
    }
    for (int i = 0; i < n; i++) {
      int j = Integer.reverse(i) >>> (32 - logN);
      if (j > i) {
        double t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    double sign = inverse ? -1.0 : 1.0;
    for (int size = 2; size <= n; size <<= 1) {
      int halfSize = size >>> 1;
      int step = n / size;
      for (int start = 0; start < n; start += size) {
        for (int k = 0; k < halfSize; k++) {
          double wr = cos[k * step];
          double wi = sign * sin[k * step];
          int a = start + k;
          int b = a + halfSize;
          double tr = re[b] * wr - im[b] * wi;
          double ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }
}
