package io.fedlora.crypto.privacy.internal;

/** Arithmetic on numbers held as their natural logarithms. */
public final class LogMath {
  private LogMath() {}

  /** log(e^a + e^b). */
  public static double logAdd(double a, double b) {
    if (a == Double.NEGATIVE_INFINITY) {
      return b;
    }
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /** log(e^a - e^b) for a &gt;= b; -infinity when the difference is not positive. */
  public static double logSub(double a, double b) {
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (b >= a) {
      return Double.NEGATIVE_INFINITY;
    }
    return a + Math.log(-Math.expm1(b - a));
  }
}
