package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ParameterChecks;
import io.fedlora.crypto.privacy.internal.RdpConversion;
import io.fedlora.crypto.privacy.internal.SubsampledGaussianRdp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Renyi-DP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar, Zhang 2019)
 * with heterogeneous composition (RDP at each order adds up across steps) and the improved
 * RDP-to-(epsilon, delta) conversion (Balle et al. 2020 / Canonne-Kamath-Steinke 2020).
 *
 * <p>Immutable: {@link #compose} returns a new accountant.
 */
public final class RdpAccountant implements PrivacyAccountant {
  private final double[] orders;
  private final double[] rdp;
  private final List<SampledGaussianSteps> history;

  private RdpAccountant(double[] orders, double[] rdp, List<SampledGaussianSteps> history) {
    this.orders = orders;
    this.rdp = rdp;
    this.history = history;
  }

  /** An empty accountant on the {@link RdpOrders#defaults() default} order grid. */
  public static RdpAccountant create() {
    return withOrders(RdpOrders.defaults());
  }

  /** An empty accountant on the given orders (each finite and &gt; 1). */
  public static RdpAccountant withOrders(double... orders) {
    double[] validated = RdpOrders.validated(orders);
    return new RdpAccountant(validated, new double[validated.length], List.of());
  }

  @Override
  public RdpAccountant compose(double samplingRate, double noiseMultiplier, long steps) {
    return compose(new SampledGaussianSteps(samplingRate, noiseMultiplier, steps));
  }

  @Override
  public RdpAccountant compose(SampledGaussianSteps piece) {
    double[] next = rdp.clone();
    for (int i = 0; i < orders.length; i++) {
      next[i] += piece.steps()
          * SubsampledGaussianRdp.rdp(piece.samplingRate(), piece.noiseMultiplier(), orders[i]);
    }
    List<SampledGaussianSteps> h = new ArrayList<>(history);
    h.add(piece);
    return new RdpAccountant(orders, next, List.copyOf(h));
  }

  @Override
  public List<SampledGaussianSteps> history() {
    return history;
  }

  /** The orders of the curve (a copy). */
  public double[] orders() {
    return orders.clone();
  }

  /** The composed RDP at each order (a copy), aligned with {@link #orders()}. */
  public double[] rdp() {
    return rdp.clone();
  }

  @Override
  public double epsilon(double delta) {
    ParameterChecks.delta(delta);
    return RdpConversion.epsilon(orders, rdp, delta).value();
  }

  /** The order at which {@link #epsilon(double)} is attained. */
  public double optimalOrder(double delta) {
    ParameterChecks.delta(delta);
    return RdpConversion.epsilon(orders, rdp, delta).order();
  }

  /**
   * Epsilon with the classic conversion eps = rdp + log(1/delta)/(alpha - 1) (Mironov 2017), which
   * TF Privacy used before 2020; always &gt;= {@link #epsilon(double)}. Kept to reproduce published
   * numbers, not for budgeting.
   */
  public double epsilonClassicConversion(double delta) {
    ParameterChecks.delta(delta);
    return RdpConversion.epsilonClassic(orders, rdp, delta).value();
  }

  @Override
  public double delta(double epsilon) {
    ParameterChecks.epsilon(epsilon);
    return RdpConversion.delta(orders, rdp, epsilon).value();
  }

  @Override
  public String toString() {
    return "RdpAccountant{orders=" + orders.length + ", history=" + history + "}";
  }

  /** Test hook: an accountant holding an arbitrary RDP curve. */
  static RdpAccountant ofCurve(double[] orders, double[] rdp) {
    double[] o = RdpOrders.validated(orders);
    if (rdp.length != o.length) {
      throw new InvalidPrivacyParameterException(
          "rdp curve length " + rdp.length + " != orders length " + o.length);
    }
    return new RdpAccountant(o, Arrays.copyOf(rdp, rdp.length), List.of());
  }
}
