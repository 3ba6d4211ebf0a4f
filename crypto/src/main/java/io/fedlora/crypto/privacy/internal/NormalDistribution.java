package io.fedlora.crypto.privacy.internal;

/**
 * Complementary error function and standard normal tails, accurate to a few ulps in relative terms
 * far into the tails (the accountants need Phi-bar(z) for z up to ~40 and log erfc well beyond).
 *
 * <p>Method: for |x| &lt; 2 the everywhere-positive series erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n
 * x^{2n+1}/(2n+1)!! (Abramowitz &amp; Stegun 7.1.6); for x &gt;= 2 the Laplace continued fraction
 * for erfc (A&amp;S 7.1.14) evaluated by the modified Lentz method, with the e^{-x^2} factor kept
 * in log space so that log erfc never underflows.
 */
public final class NormalDistribution {
  private static final double SQRT_PI = Math.sqrt(Math.PI);
  private static final double LOG_SQRT_PI = Math.log(SQRT_PI);
  private static final double SQRT2 = Math.sqrt(2.0);
  private static final double SERIES_LIMIT = 2.0;

  private NormalDistribution() {}

  /** erfc(x) for any real x. */
  public static double erfc(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x < 0) {
      return 2.0 - erfc(-x);
    }
    if (x < SERIES_LIMIT) {
      return 1.0 - erfSeries(x);
    }
    return Math.exp(logErfcContinuedFraction(x));
  }

  /** log(erfc(x)), finite for every finite x. */
  public static double logErfc(double x) {
    if (x < 0) {
      return Math.log(2.0 - erfc(-x));
    }
    if (x < SERIES_LIMIT) {
      return Math.log(1.0 - erfSeries(x));
    }
    return logErfcContinuedFraction(x);
  }

  /** Standard normal survival function P(Z &gt; z). */
  public static double sf(double z) {
    return 0.5 * erfc(z / SQRT2);
  }

  /** Standard normal CDF P(Z &lt;= z). */
  public static double cdf(double z) {
    return 0.5 * erfc(-z / SQRT2);
  }

  /** log P(Z &gt; z). */
  public static double logSf(double z) {
    return Math.log(0.5) + logErfc(z / SQRT2);
  }

  private static double erfSeries(double x) {
    double x2 = x * x;
    double term = x;
    double sum = x;
    for (int n = 1; n < 200; n++) {
      term *= 2.0 * x2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) {
        break;
      }
    }
    return 2.0 / SQRT_PI * Math.exp(-x2) * sum;
  }

  /**
   * log erfc(x), x &gt;= 2: erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
   */
  private static double logErfcContinuedFraction(double x) {
    final double tiny = 1e-300;
    double f = x;
    double c = x;
    double d = 0.0;
    for (int n = 1; n < 5000; n++) {
      double a = n / 2.0;
      d = x + a * d;
      if (Math.abs(d) < tiny) {
        d = tiny;
      }
      c = x + a / c;
      if (Math.abs(c) < tiny) {
        c = tiny;
      }
      d = 1.0 / d;
      double delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1.0) < 1e-16) {
        break;
      }
    }
    return -x * x - LOG_SQRT_PI - Math.log(f);
  }
}
