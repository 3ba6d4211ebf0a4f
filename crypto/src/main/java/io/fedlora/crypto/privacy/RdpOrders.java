package io.fedlora.crypto.privacy;

import java.util.Arrays;
import java.util.TreeSet;

/** Renyi orders at which {@link RdpAccountant} tracks the RDP curve. */
public final class RdpOrders {
  private RdpOrders() {}

  /**
   * The grid used by TensorFlow Privacy's tutorials and {@code compute_dp_sgd_privacy} and by
   * Opacus' {@code DEFAULT_ALPHAS}: 1.1, 1.2, ..., 10.9, then 12, 13, ..., 63. Use it to reproduce
   * numbers those libraries publish.
   */
  public static double[] tfPrivacy() {
    double[] orders = new double[99 + 52];
    for (int x = 1; x < 100; x++) {
      orders[x - 1] = 1.0 + x / 10.0;
    }
    for (int a = 12; a < 64; a++) {
      orders[99 + a - 12] = a;
    }
    return orders;
  }

  /**
   * The default grid: dp_accounting's default orders (1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4,
   * 4.5, 5..63, 128, 256, 512) united with {@link #tfPrivacy()}, plus 1024 for very small
   * epsilon/large-noise settings. A finer grid can only lower epsilon (every order is a valid bound).
   */
  public static double[] defaults() {
    TreeSet<Double> set = new TreeSet<>();
    for (double a : new double[] {1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5}) {
      set.add(a);
    }
    for (int a = 5; a < 64; a++) {
      set.add((double) a);
    }
    for (double a : new double[] {128, 256, 512, 1024}) {
      set.add(a);
    }
    for (double a : tfPrivacy()) {
      set.add(a);
    }
    return set.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static double[] validated(double[] orders) {
    if (orders == null || orders.length == 0) {
      throw new InvalidPrivacyParameterException("RDP orders must be non-empty, got "
          + (orders == null ? "null" : "[]"));
    }
    double[] copy = orders.clone();
    for (double a : copy) {
      if (!(a > 1.0) || Double.isInfinite(a)) {
        throw new InvalidPrivacyParameterException(
            "RDP orders must be finite and > 1, got " + a + " in " + Arrays.toString(copy));
      }
    }
    return copy;
  }
}
