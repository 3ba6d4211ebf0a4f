package io.fedlora.crypto.privacy.internal;

/**
 * Exact hockey-stick divergence delta(eps) = sup_S P(S) - e^eps Q(S) of one step of the
 * Poisson-subsampled Gaussian mechanism in one {@link LossDirection}. The privacy loss
 * L(x) = log P(x)/Q(x) is monotone in x, so the optimal set is a half-line and delta has a closed
 * form in the normal tail function (as in Koskela, Jalko, Honkela 2020, Sec. 6, and
 * Gopi, Lee, Wutschitz 2021, Sec. 5).
 */
public final class SubsampledGaussianHockeyStick {
  private final double q;
  private final double sigma;
  private final LossDirection direction;
  private final double log1mQ;

  public SubsampledGaussianHockeyStick(double q, double sigma, LossDirection direction) {
    this.q = q;
    this.sigma = sigma;
    this.direction = direction;
    this.log1mQ = q < 1.0 ? Math.log1p(-q) : Double.NEGATIVE_INFINITY;
  }

  /** delta(eps) for any real eps. */
  public double delta(double eps) {
    double d = direction == LossDirection.REMOVE ? deltaRemove(eps) : deltaAdd(eps);
    return Math.min(1.0, Math.max(0.0, d));
  }

  /**
   * A loss value below which P carries at most {@code tail} mass (exact support bound when one
   * exists). Mass below it is moved up to it, which is pessimistic and so always safe.
   */
  public double lowestLoss(double tailZ) {
    if (direction == LossDirection.REMOVE) {
      if (q < 1.0) {
        return log1mQ;
      }
      return logMixtureRatio(1.0 - sigma * tailZ);
    }
    return -logMixtureRatio(sigma * tailZ);
  }

  /** A loss value above which delta is at most the normal tail at {@code tailZ}. */
  public double highestLoss(double tailZ) {
    if (direction == LossDirection.REMOVE) {
      return logMixtureRatio(1.0 + sigma * tailZ);
    }
    if (q < 1.0) {
      return -log1mQ;
    }
    return -logMixtureRatio(-sigma * tailZ);
  }

  /** log(mu(x)/mu0(x)) = log(1 - q + q e^u), u = (2x - 1)/(2 sigma^2), without overflow. */
  private double logMixtureRatio(double x) {
    double u = (2.0 * x - 1.0) / (2.0 * sigma * sigma);
    if (q == 1.0) {
      return u;
    }
    if (u > 0) {
      return u + Math.log(q + (1.0 - q) * Math.exp(-u));
    }
    return Math.log1p(q * Math.expm1(u));
  }

  // P = mu, Q = mu0; L > eps iff x > x_eps.
  private double deltaRemove(double eps) {
    double x;
    if (q == 1.0) {
      x = sigma * sigma * eps + 0.5;
    } else {
      if (eps <= log1mQ) {
        return -Math.expm1(eps);
      }
      x = sigma * sigma * (Math.log(Math.expm1(eps) + q) - Math.log(q)) + 0.5;
    }
    double a = q * NormalDistribution.sf((x - 1.0) / sigma);
    double b = (q == 1.0 ? Math.exp(eps) : Math.expm1(eps) + q) * NormalDistribution.sf(x / sigma);
    return a - b;
  }

  // P = mu0, Q = mu; L > eps iff x < x'_eps.
  private double deltaAdd(double eps) {
    double x;
    if (q == 1.0) {
      x = -sigma * sigma * eps + 0.5;
    } else {
      if (eps >= -log1mQ) {
        return 0.0;
      }
      x = sigma * sigma * (Math.log(Math.expm1(-eps) + q) - Math.log(q)) + 0.5;
    }
    double pPart = q == 1.0 ? 1.0 : -Math.expm1(eps + log1mQ);
    double a = pPart * NormalDistribution.cdf(x / sigma);
    double b = q * Math.exp(eps) * NormalDistribution.cdf((x - 1.0) / sigma);
    return a - b;
  }
}
