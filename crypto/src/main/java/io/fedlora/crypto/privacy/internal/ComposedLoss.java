package io.fedlora.crypto.privacy.internal;

/**
 * A composed privacy-loss distribution on the grid {k h}, k = offset .. offset + length - 1, with
 * the atom at +infinity and a proven bound on mass lost above the window. Answers delta(eps) and
 * eps(delta) exactly for this discrete distribution, adding the truncation bound to delta.
 */
public final class ComposedLoss {
  private final double h;
  private final long offset;
  private final double[] mass;
  private final double infinityMass;
  private final double truncatedAbove;

  ComposedLoss(double h, long offset, double[] mass, double infinityMass, double truncatedAbove) {
    this.h = h;
    this.offset = offset;
    this.mass = mass;
    this.infinityMass = infinityMass;
    this.truncatedAbove = truncatedAbove;
  }

  public double h() {
    return h;
  }

  /** Mass at +infinity plus the bound on mass cut above the window: a floor under delta. */
  public double deltaFloor() {
    return Math.min(1.0, infinityMass + truncatedAbove);
  }

  /** delta(eps) = P(L = inf) + truncation + sum_{k h &gt; eps} p_k (1 - e^{eps - k h}). */
  public double delta(double eps) {
    double sum = 0.0;
    for (int i = mass.length - 1; i >= 0; i--) {
      double loss = (offset + i) * h;
      if (loss <= eps) {
        break;
      }
      sum += mass[i] * -Math.expm1(eps - loss);
    }
    return Math.min(1.0, deltaFloor() + sum);
  }

  /** Smallest eps &gt;= 0 with delta(eps) &lt;= target; +infinity if the floor exceeds target. */
  public double epsilon(double targetDelta) {
    double floor = deltaFloor();
    if (floor >= targetDelta) {
      return Double.POSITIVE_INFINITY;
    }
    // Walk down from the top; on [k h, (k+1) h] delta(eps) = floor + a - e^eps b with a, b the
    // sums of p_j and p_j e^{-j h} over j > k.
    double a = 0.0;
    double b = 0.0;
    for (int i = mass.length - 1; i >= 0; i--) {
      double loss = (offset + i) * h;
      double atLoss = floor + a - Math.exp(loss) * b;
      if (atLoss > targetDelta) {
        // Root lies in [loss, loss + h].
        double eps = Math.log((floor + a - targetDelta) / b);
        return Math.max(0.0, Math.max(loss, eps));
      }
      if (loss <= 0.0) {
        return 0.0;
      }
      a += mass[i];
      b += mass[i] * Math.exp(-loss);
    }
    return 0.0;
  }
}
