package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ParameterChecks;
import io.fedlora.crypto.privacy.internal.RdpConversion;
import java.util.List;

/**
 * What one party's data has spent over releases of both kinds fedlora makes: record-level DP-SGD
 * steps and client-level distributed discrete Gaussian rounds, composed by adding their RDP curves
 * on the same orders, then converted with the improved conversion.
 *
 * <p>Why a client-level round may be charged to a record-level budget: changing one record changes
 * only its client's contribution, and the client-level bound holds for any change of that
 * contribution within the clip. Its RDP, with the noise of the fewest clients whose sum may be
 * unmasked, therefore also bounds the record-level divergence of that round.
 */
public final class ReleaseComposition {

  private ReleaseComposition() {}

  /** Epsilon at {@code delta} of all the given releases together; 0 when there are none. */
  public static double epsilon(List<SampledGaussianSteps> dpSgd,
      List<DistributedDiscreteGaussianParameters> clientLevel, double delta) {
    ParameterChecks.delta(delta);
    if (dpSgd.isEmpty() && clientLevel.isEmpty()) {
      return 0.0;
    }
    RdpAccountant records = RdpAccountant.create();
    for (SampledGaussianSteps s : dpSgd) {
      records = records.compose(s);
    }
    DistributedDiscreteGaussianAccountant clients = DistributedDiscreteGaussianAccountant.create();
    for (DistributedDiscreteGaussianParameters p : clientLevel) {
      clients = clients.composeRounds(p, 1);
    }
    double[] orders = records.orders();
    double[] sum = records.rdp();
    double[] clientRdp = clients.rdp();
    for (int i = 0; i < sum.length; i++) {
      sum[i] += clientRdp[i];
    }
    return RdpConversion.epsilon(orders, sum, delta).value();
  }
}
