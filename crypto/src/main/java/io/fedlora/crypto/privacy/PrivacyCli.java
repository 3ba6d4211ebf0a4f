package io.fedlora.crypto.privacy;

/**
 * Facade for the {@code fedlora privacy} command: plain numbers in, plain numbers out, every
 * parameter validated ({@link InvalidPrivacyParameterException} names the bad one).
 */
public final class PrivacyCli {
  private PrivacyCli() {}

  /**
   * Epsilon of {@code steps} steps of DP-SGD (Poisson rate q, noise multiplier sigma) at delta.
   *
   * @param accountant "rdp" or "prv" ("pld" accepted as an alias of "prv")
   */
  public static double epsilon(
      double samplingRate, double noiseMultiplier, long steps, double delta, String accountant) {
    AccountantKind kind = AccountantKind.parse(accountant);
    return kind.newAccountant().compose(samplingRate, noiseMultiplier, steps).epsilon(delta);
  }

  /** Smallest noise multiplier reaching targetEpsilon at delta (relative precision 1e-4). */
  public static double noiseMultiplier(
      double samplingRate, long steps, double delta, double targetEpsilon, String accountant) {
    return NoiseCalibration.noiseMultiplier(
        samplingRate, steps, delta, targetEpsilon, AccountantKind.parse(accountant));
  }
}
