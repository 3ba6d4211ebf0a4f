package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ParameterChecks;

/**
 * One round of client-level distributed DP: {@code clients} clients each add independent discrete
 * Gaussian noise N_Z(0, sigma^2) to each of {@code dimension} integer coordinates, and secure
 * aggregation reveals only the sum. Sensitivities are those of one client's (scaled, rounded)
 * integer contribution.
 *
 * @param clients n, number of clients whose noise is in the sum (survivors), &gt;= 1
 * @param sigma per-client discrete Gaussian parameter, &gt;= 1/2 (KLS21 Prop. 14 requires it)
 * @param dimension d, number of coordinates
 * @param l2Sensitivity bound on ||x - x'||_2 of one client's integer vector
 * @param l1Sensitivity bound on ||x - x'||_1
 */
public record DistributedDiscreteGaussianParameters(
    int clients, double sigma, int dimension, double l2Sensitivity, double l1Sensitivity) {

  public DistributedDiscreteGaussianParameters {
    ParameterChecks.atLeast("clients", clients, 1);
    ParameterChecks.positiveFinite("discrete Gaussian sigma", sigma);
    if (sigma < 0.5) {
      throw new InvalidPrivacyParameterException(
          "discrete Gaussian sigma must be >= 0.5 for the distributed bound, got " + sigma);
    }
    ParameterChecks.atLeast("dimension", dimension, 1);
    ParameterChecks.positiveFinite("l2Sensitivity", l2Sensitivity);
    ParameterChecks.positiveFinite("l1Sensitivity", l1Sensitivity);
  }

  /**
   * With the L1 bound implied for integer vectors: ||v||_1 &lt;= min(||v||_2^2, sqrt(d) ||v||_2)
   * (|v_i| &lt;= v_i^2 on integers; Cauchy-Schwarz), as in KLS21 Sec. 4.
   */
  public static DistributedDiscreteGaussianParameters of(
      int clients, double sigma, int dimension, double l2Sensitivity) {
    ParameterChecks.atLeast("dimension", dimension, 1);
    ParameterChecks.positiveFinite("l2Sensitivity", l2Sensitivity);
    double l1 = Math.min(l2Sensitivity * l2Sensitivity, Math.sqrt(dimension) * l2Sensitivity);
    return new DistributedDiscreteGaussianParameters(clients, sigma, dimension, l2Sensitivity, l1);
  }

  /** tau = 10 sum_{k=1}^{n-1} exp(-2 pi^2 sigma^2 k/(k+1)) (KLS21, Prop. 14 / Thm. 1). */
  public double tau() {
    double sum = 0.0;
    double c = 2.0 * Math.PI * Math.PI * sigma * sigma;
    for (int k = 1; k < clients; k++) {
      sum += Math.exp(-c * k / (k + 1.0));
    }
    return 10.0 * sum;
  }

  /**
   * RDP of one round at order alpha &gt;= 1 (Kairouz, Liu, Steinke 2021, "The Distributed Discrete
   * Gaussian Mechanism for Federated Learning with Secure Aggregation", Prop. 14):
   * min{ alpha D2^2/(2 n s^2) + tau d,
   *      alpha/2 (D2^2/(n s^2) + 2 D1 tau/(sqrt(n) s) + tau^2 d),
   *      alpha/2 (D2/(sqrt(n) s) + tau sqrt(d))^2 }.
   * As tau -&gt; 0 this is the continuous Gaussian's alpha D2^2 / (2 n sigma^2).
   */
  public double rdp(double alpha) {
    double tau = tau();
    double ns2 = clients * sigma * sigma;
    double sqrtNs = Math.sqrt(clients) * sigma;
    double d2sq = l2Sensitivity * l2Sensitivity;
    double b1 = alpha * d2sq / (2.0 * ns2) + tau * dimension;
    double b2 = alpha / 2.0 * (d2sq / ns2 + 2.0 * l1Sensitivity * tau / sqrtNs
        + tau * tau * dimension);
    double r = l2Sensitivity / sqrtNs + tau * Math.sqrt(dimension);
    double b3 = alpha / 2.0 * r * r;
    return Math.min(b1, Math.min(b2, b3));
  }
}
