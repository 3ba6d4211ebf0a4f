package io.fedlora.crypto.privacy.internal;

import java.util.List;

/**
 * Composes privacy-loss distributions (same grid) by FFT: each single-step PMF is wrapped onto a
 * circular buffer of length N, transformed once, raised to its step count, multiplied with the
 * others, and transformed back.
 *
 * <p>Window: a Chernoff bound on the composed loss, P(S &gt;= u) &lt;= exp(sum_i T_i log M_i(l) - l u)
 * (and the mirror bound for the lower tail), picks [lower, upper] so that at most {@code tailBound}
 * mass lies outside on each side. Circular wrap-around can only move that mass inside the window;
 * the upper part is also added to delta (see {@link ComposedLoss#deltaFloor()}), so the reported
 * delta stays an upper bound. The lower part only loosens the bound by at most {@code tailBound}.
 */
public final class PldComposer {
  private static final double[] LAMBDAS = {
    1.0 / 64, 1.0 / 32, 1.0 / 16, 1.0 / 8, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256
  };

  /** One piece of a composition: a single-step PMF and its number of repetitions. */
  public record Piece(PrivacyLossPmf pmf, long count) {}

  private final double tailBound;
  private final int maxLength;

  /**
   * @param tailBound mass allowed outside the composed window on each side
   * @param maxLength largest FFT length allowed (power of two)
   */
  public PldComposer(double tailBound, int maxLength) {
    this.tailBound = tailBound;
    this.maxLength = maxLength;
  }

  /** The FFT length the pieces would need, or -1 if it exceeds the maximum. */
  public long requiredLength(List<Piece> pieces) {
    long[] window = window(pieces);
    long width = window[1] - window[0] + 1;
    long n = Long.highestOneBit(Math.max(1, width - 1)) << 1;
    return n > maxLength ? -1 : Math.max(n, 1);
  }

  public ComposedLoss compose(List<Piece> pieces) {
    double h = pieces.get(0).pmf().h();
    long[] window = window(pieces);
    long lower = window[0];
    long width = window[1] - window[0] + 1;
    long nLong = Long.highestOneBit(Math.max(1, width - 1)) << 1;
    if (nLong > maxLength) {
      throw new IllegalStateException("composed privacy-loss window needs FFT length " + nLong
          + " > " + maxLength);
    }
    int n = (int) Math.max(1, nLong);
    Fft fft = new Fft(n);
    double[] accRe = new double[n];
    double[] accIm = new double[n];
    java.util.Arrays.fill(accRe, 1.0);
    double[] re = new double[n];
    double[] im = new double[n];
    double logNoInfinity = 0.0;
    for (Piece piece : pieces) {
      PrivacyLossPmf pmf = piece.pmf();
      java.util.Arrays.fill(re, 0.0);
      java.util.Arrays.fill(im, 0.0);
      for (int i = 0; i < pmf.size(); i++) {
        re[(int) Math.floorMod(pmf.offset() + i, (long) n)] += pmf.mass(i);
      }
      fft.forward(re, im);
      double t = piece.count();
      for (int k = 0; k < n; k++) {
        double r = Math.hypot(re[k], im[k]);
        double pr;
        double pi;
        if (r == 0.0) {
          pr = 0.0;
          pi = 0.0;
        } else {
          double mag = Math.exp(t * Math.log(r));
          double angle = t * Math.atan2(im[k], re[k]);
          pr = mag * Math.cos(angle);
          pi = mag * Math.sin(angle);
        }
        double nr = accRe[k] * pr - accIm[k] * pi;
        double ni = accRe[k] * pi + accIm[k] * pr;
        accRe[k] = nr;
        accIm[k] = ni;
      }
      logNoInfinity += t * Math.log1p(-pmf.infinityMass());
    }
    fft.inverse(accRe, accIm);
    double[] mass = new double[n];
    for (int i = 0; i < n; i++) {
      double v = accRe[(int) Math.floorMod(lower + i, (long) n)];
      mass[i] = v > 0 ? v : 0.0;
    }
    double infinity = -Math.expm1(logNoInfinity);
    return new ComposedLoss(h, lower, mass, infinity, tailBound);
  }

  /** [lower, upper] grid indices of the composed window. */
  private long[] window(List<Piece> pieces) {
    double h = pieces.get(0).pmf().h();
    double logTail = Math.log(tailBound);
    double minLo = 0;
    double maxHi = 0;
    for (Piece p : pieces) {
      minLo += (double) p.count() * p.pmf().offset();
      maxHi += (double) p.count() * (p.pmf().offset() + p.pmf().size() - 1);
    }
    double upper = maxHi * h;
    double lowerLoss = minLo * h;
    for (double lambda : LAMBDAS) {
      double up = 0.0;
      double down = 0.0;
      for (Piece p : pieces) {
        up += p.count() * p.pmf().logMgf(lambda);
        down += p.count() * p.pmf().logMgf(-lambda);
      }
      upper = Math.min(upper, (up - logTail) / lambda);
      lowerLoss = Math.max(lowerLoss, -(down - logTail) / lambda);
    }
    long hi = (long) Math.ceil(upper / h) + 1;
    long lo = (long) Math.floor(lowerLoss / h) - 1;
    hi = Math.min(hi, (long) maxHi);
    lo = Math.max(lo, (long) minLo);
    if (hi < lo) {
      hi = lo;
    }
    return new long[] {lo, hi};
  }
}
