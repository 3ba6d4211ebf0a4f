package io.fedlora.crypto.privacy.internal;

/**
 * RDP curve to (epsilon, delta)-DP.
 *
 * <p>Improved conversion (Balle, Barthe, Gaboardi, Hsu, Sato 2020, Thm. 21; Canonne, Kamath,
 * Steinke 2020, Prop. 12; also Asoodeh et al. 2021): at order alpha,
 * eps = rdp + log((alpha - 1)/alpha) - (log delta + log alpha)/(alpha - 1), minimised over alpha.
 * Classic conversion (Mironov 2017, Prop. 3), used by TF Privacy before 2020 and therefore by the
 * numbers its tutorials publish: eps = rdp + log(1/delta)/(alpha - 1).
 *
 * <p>Both also use that D_alpha &gt;= KL for alpha &gt;= 1 and the Bretagnolle-Huber bound
 * TV &lt;= sqrt(1 - e^{-KL}): a curve with delta &gt;= sqrt(1 - e^{-rdp}) is (0, delta)-DP (the same
 * shortcut dp_accounting applies).
 */
public final class RdpConversion {
  private RdpConversion() {}

  /** Result of a conversion: the value and the order that attained it. */
  public record Result(double value, double order) {}

  /** Smallest epsilon over the orders (improved conversion). Orders &lt;= 1 are ignored. */
  public static Result epsilon(double[] orders, double[] rdp, double delta) {
    double logDelta = Math.log(delta);
    double best = Double.POSITIVE_INFINITY;
    double bestOrder = Double.NaN;
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      if (!(a > 1.0) || Double.isInfinite(rdp[i]) || Double.isInfinite(a)) {
        continue;
      }
      double eps = delta * delta + Math.expm1(-rdp[i]) > 0
          ? 0.0
          : rdp[i] + Math.log1p(-1.0 / a) - (logDelta + Math.log(a)) / (a - 1.0);
      if (eps < best) {
        best = eps;
        bestOrder = a;
      }
    }
    return new Result(Math.max(0.0, best), bestOrder);
  }

  /** Smallest epsilon over the orders with the classic (Mironov 2017) conversion. */
  public static Result epsilonClassic(double[] orders, double[] rdp, double delta) {
    double logDelta = Math.log(delta);
    double best = Double.POSITIVE_INFINITY;
    double bestOrder = Double.NaN;
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      if (!(a > 1.0) || Double.isInfinite(rdp[i]) || Double.isInfinite(a)) {
        continue;
      }
      double eps = delta * delta + Math.expm1(-rdp[i]) > 0 ? 0.0 : rdp[i] - logDelta / (a - 1.0);
      if (eps < best) {
        best = eps;
        bestOrder = a;
      }
    }
    return new Result(Math.max(0.0, best), bestOrder);
  }

  /**
   * Smallest delta over the orders at the given epsilon: the improved conversion solved for delta,
   * log delta = (alpha - 1)(rdp - eps + log(1 - 1/alpha)) - log alpha, capped at 1.
   */
  public static Result delta(double[] orders, double[] rdp, double epsilon) {
    double bestLog = 0.0;
    double bestOrder = Double.NaN;
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      if (!(a > 1.0) || Double.isInfinite(rdp[i]) || Double.isInfinite(a)) {
        continue;
      }
      double logDelta = Math.min(
          (a - 1.0) * (rdp[i] - epsilon + Math.log1p(-1.0 / a)) - Math.log(a),
          rdp[i] == 0.0 ? Double.NEGATIVE_INFINITY : 0.5 * Math.log(-Math.expm1(-rdp[i])));
      if (logDelta < bestLog) {
        bestLog = logDelta;
        bestOrder = a;
      }
    }
    return new Result(Math.exp(bestLog), bestOrder);
  }
}
