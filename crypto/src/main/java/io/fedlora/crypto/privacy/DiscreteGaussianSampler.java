package io.fedlora.crypto.privacy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * Exact sampler for the discrete Gaussian N_Z(0, sigma^2), P(x) proportional to
 * exp(-x^2 / (2 sigma^2)) on the integers, following Canonne, Kamath, Steinke, "The Discrete
 * Gaussian for Differential Privacy" (2020), Algorithms 1-3: Bernoulli(exp(-gamma)) by the
 * alternating-series trick with exact rational gamma, discrete Laplace by geometric rejection, and
 * the discrete Gaussian by rejection from the discrete Laplace with t = floor(sigma) + 1.
 *
 * <p>sigma^2 is held as an exact rational and all comparisons are on integers, so no
 * floating-point rounding can bias the output. Randomness comes only from the
 * {@link SecureRandom} passed in. Not thread-safe unless the SecureRandom is.
 */
public final class DiscreteGaussianSampler {
  private static final BigInteger TWO = BigInteger.TWO;

  private final SecureRandom random;
  private final BigInteger varianceNum;
  private final BigInteger varianceDen;
  private final BigInteger t;

  private DiscreteGaussianSampler(SecureRandom random, BigInteger num, BigInteger den) {
    this.random = random;
    BigInteger g = num.gcd(den);
    this.varianceNum = num.divide(g);
    this.varianceDen = den.divide(g);
    this.t = varianceNum.divide(varianceDen).sqrt().add(BigInteger.ONE);
  }

  /** Sampler with sigma^2 = num/den exactly (num, den &gt; 0). */
  public static DiscreteGaussianSampler ofVariance(
      BigInteger num, BigInteger den, SecureRandom random) {
    if (random == null) {
      throw new InvalidPrivacyParameterException("random must be a non-null SecureRandom");
    }
    if (num == null || den == null || num.signum() <= 0 || den.signum() <= 0) {
      throw new InvalidPrivacyParameterException(
          "variance must be a positive rational, got " + num + "/" + den);
    }
    return new DiscreteGaussianSampler(random, num, den);
  }

  /** Sampler with sigma^2 equal to the exact square of the given double. */
  public static DiscreteGaussianSampler ofSigma(double sigma, SecureRandom random) {
    if (!(sigma > 0.0) || Double.isInfinite(sigma)) {
      throw new InvalidPrivacyParameterException(
          "discrete Gaussian sigma must be finite and > 0, got " + sigma);
    }
    BigDecimal s = new BigDecimal(sigma);
    BigDecimal v = s.multiply(s);
    BigInteger num;
    BigInteger den;
    if (v.scale() > 0) {
      num = v.unscaledValue();
      den = BigInteger.TEN.pow(v.scale());
    } else {
      num = v.toBigIntegerExact();
      den = BigInteger.ONE;
    }
    return ofVariance(num, den, random);
  }

  /** sigma^2 as a double (for reporting). */
  public double variance() {
    return new BigDecimal(varianceNum).divide(new BigDecimal(varianceDen),
        java.math.MathContext.DECIMAL64).doubleValue();
  }

  /** One sample of N_Z(0, sigma^2). */
  public long sample() {
    // gamma = (|y| - sigma^2/t)^2 / (2 sigma^2) = (|y| b t - a)^2 / (2 a b t^2), sigma^2 = a/b.
    BigInteger gammaDen = TWO.multiply(varianceNum).multiply(varianceDen).multiply(t).multiply(t);
    BigInteger bt = varianceDen.multiply(t);
    while (true) {
      long y = discreteLaplace(t);
      BigInteger diff = BigInteger.valueOf(Math.abs(y)).multiply(bt).subtract(varianceNum);
      if (bernoulliExpMinus(diff.multiply(diff), gammaDen)) {
        return y;
      }
    }
  }

  /** Fills {@code out} with independent samples. */
  public void fill(long[] out) {
    for (int i = 0; i < out.length; i++) {
      out[i] = sample();
    }
  }

  /** Discrete Laplace with scale t: P(x) proportional to exp(-|x|/t) (CKS Algorithm 2, s = 1). */
  private long discreteLaplace(BigInteger scale) {
    while (true) {
      BigInteger u = uniformBelow(scale);
      if (!bernoulliExpMinus(u, scale)) {
        continue;
      }
      long v = 0;
      while (bernoulliExpMinus(BigInteger.ONE, BigInteger.ONE)) {
        v++;
      }
      BigInteger x = u.add(scale.multiply(BigInteger.valueOf(v)));
      boolean negative = random.nextBoolean();
      if (negative && x.signum() == 0) {
        continue;
      }
      long value = x.longValueExact();
      return negative ? -value : value;
    }
  }

  /** Bernoulli(exp(-num/den)) for num/den &gt;= 0 (CKS Algorithm 1). */
  private boolean bernoulliExpMinus(BigInteger num, BigInteger den) {
    BigInteger[] split = num.divideAndRemainder(den);
    // exp(-gamma) = exp(-1)^floor(gamma) * exp(-frac(gamma)).
    for (BigInteger i = BigInteger.ZERO; i.compareTo(split[0]) < 0; i = i.add(BigInteger.ONE)) {
      if (!bernoulliExpMinusAtMostOne(BigInteger.ONE, BigInteger.ONE)) {
        return false;
      }
    }
    return bernoulliExpMinusAtMostOne(split[1], den);
  }

  /** Bernoulli(exp(-gamma)), gamma = num/den in [0, 1]: K = first k with A_k = 0, accept K odd. */
  private boolean bernoulliExpMinusAtMostOne(BigInteger num, BigInteger den) {
    long k = 1;
    while (bernoulli(num, den.multiply(BigInteger.valueOf(k)))) {
      k++;
    }
    return (k & 1) == 1;
  }

  /** Bernoulli(num/den), 0 &lt;= num &lt;= den. */
  private boolean bernoulli(BigInteger num, BigInteger den) {
    if (num.signum() == 0) {
      return false;
    }
    return uniformBelow(den).compareTo(num) < 0;
  }

  /** Uniform on {0, ..., bound - 1} by rejection on bit strings. */
  private BigInteger uniformBelow(BigInteger bound) {
    if (bound.bitLength() < 31) {
      return BigInteger.valueOf(random.nextInt(bound.intValueExact()));
    }
    int bits = bound.bitLength();
    while (true) {
      BigInteger candidate = new BigInteger(bits, random);
      if (candidate.compareTo(bound) < 0) {
        return candidate;
      }
    }
  }

  @Override
  public String toString() {
    return "DiscreteGaussianSampler{variance=" + variance() + "}";
  }
}
