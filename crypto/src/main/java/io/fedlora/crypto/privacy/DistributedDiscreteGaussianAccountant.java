package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ParameterChecks;
import io.fedlora.crypto.privacy.internal.RdpConversion;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Client-level accountant for the distributed discrete Gaussian (sum of n clients' N_Z(0, sigma^2)
 * noise, revealed only through secure aggregation). Per-round RDP from
 * {@link DistributedDiscreteGaussianParameters#rdp(double)}, rounds composed by adding RDP,
 * converted with the improved RDP conversion. No subsampling amplification is claimed (cohort
 * selection is not assumed to be a secret Poisson sample). Immutable.
 */
public final class DistributedDiscreteGaussianAccountant {
  private final double[] orders;
  private final List<DistributedDiscreteGaussianParameters> rounds;
  private final double[] cumulativeRdp;

  private DistributedDiscreteGaussianAccountant(
      double[] orders, List<DistributedDiscreteGaussianParameters> rounds, double[] rdp) {
    this.orders = orders;
    this.rounds = rounds;
    this.cumulativeRdp = rdp;
  }

  public static DistributedDiscreteGaussianAccountant create() {
    double[] orders = RdpOrders.defaults();
    return new DistributedDiscreteGaussianAccountant(orders, List.of(), new double[orders.length]);
  }

  /** A new accountant with {@code count} more rounds at the given parameters. */
  public DistributedDiscreteGaussianAccountant composeRounds(
      DistributedDiscreteGaussianParameters round, int count) {
    if (round == null) {
      throw new InvalidPrivacyParameterException("round parameters must not be null");
    }
    ParameterChecks.atLeast("rounds", count, 1);
    double[] next = cumulativeRdp.clone();
    for (int i = 0; i < orders.length; i++) {
      next[i] += count * round.rdp(orders[i]);
    }
    List<DistributedDiscreteGaussianParameters> r = new ArrayList<>(rounds);
    r.addAll(Collections.nCopies(count, round));
    return new DistributedDiscreteGaussianAccountant(orders, List.copyOf(r), next);
  }

  /** The composed RDP (a copy), on the {@link RdpOrders#defaults() default} orders. */
  public double[] rdp() {
    return cumulativeRdp.clone();
  }

  public int rounds() {
    return rounds.size();
  }

  /** Epsilon of one round with the given parameters, on its own. */
  public static double roundEpsilon(DistributedDiscreteGaussianParameters round, double delta) {
    return create().composeRounds(round, 1).epsilon(delta);
  }

  /** Cumulative epsilon over all composed rounds. */
  public double epsilon(double delta) {
    ParameterChecks.delta(delta);
    if (rounds.isEmpty()) {
      return 0.0;
    }
    return RdpConversion.epsilon(orders, cumulativeRdp, delta).value();
  }

  /** Cumulative delta at epsilon. */
  public double delta(double epsilon) {
    ParameterChecks.epsilon(epsilon);
    if (rounds.isEmpty()) {
      return 0.0;
    }
    return RdpConversion.delta(orders, cumulativeRdp, epsilon).value();
  }

  /** For each round r: that round's own epsilon and the cumulative epsilon after rounds 1..r. */
  public List<RoundPrivacy> report(double delta) {
    ParameterChecks.delta(delta);
    List<RoundPrivacy> out = new ArrayList<>(rounds.size());
    double[] prefix = new double[orders.length];
    double[] single = new double[orders.length];
    for (int r = 0; r < rounds.size(); r++) {
      DistributedDiscreteGaussianParameters p = rounds.get(r);
      for (int i = 0; i < orders.length; i++) {
        single[i] = p.rdp(orders[i]);
        prefix[i] += single[i];
      }
      out.add(new RoundPrivacy(r + 1,
          RdpConversion.epsilon(orders, single, delta).value(),
          RdpConversion.epsilon(orders, prefix, delta).value(), delta));
    }
    return List.copyOf(out);
  }

  /** Per-round line of a report. */
  public record RoundPrivacy(int round, double roundEpsilon, double cumulativeEpsilon, double delta) {}
}
