package io.fedlora.crypto.privacy.internal;

import io.fedlora.crypto.privacy.InvalidPrivacyParameterException;

/**
 * Domain checks shared by the public factories. Each check names the parameter and the value, so a
 * misconfigured job fails at construction with a readable message instead of silently running
 * without noise.
 */
public final class ParameterChecks {
  private ParameterChecks() {}

  /** Poisson sampling rate q in (0, 1]. */
  public static double samplingRate(double q) {
    if (!(q > 0.0 && q <= 1.0)) {
      throw new InvalidPrivacyParameterException(
          "sampling rate q must be in (0, 1], got " + q);
    }
    return q;
  }

  /** Noise multiplier sigma (noise stddev / clipping norm): finite and strictly positive. */
  public static double noiseMultiplier(double sigma) {
    return positiveFinite("noise multiplier sigma", sigma);
  }

  /** delta in (0, 1). */
  public static double delta(double delta) {
    if (!(delta > 0.0 && delta < 1.0)) {
      throw new InvalidPrivacyParameterException("delta must be in (0, 1), got " + delta);
    }
    return delta;
  }

  /** A target epsilon: finite and strictly positive. */
  public static double targetEpsilon(double epsilon) {
    return positiveFinite("target epsilon", epsilon);
  }

  /** An epsilon at which delta is queried: finite and non-negative. */
  public static double epsilon(double epsilon) {
    if (!(epsilon >= 0.0) || Double.isInfinite(epsilon)) {
      throw new InvalidPrivacyParameterException(
          "epsilon must be finite and >= 0, got " + epsilon);
    }
    return epsilon;
  }

  /** Number of composed steps: at least 1. */
  public static long steps(long steps) {
    if (steps < 1) {
      throw new InvalidPrivacyParameterException("steps must be >= 1, got " + steps);
    }
    return steps;
  }

  /** A strictly positive, finite value (NaN rejected). */
  public static double positiveFinite(String name, double value) {
    if (!(value > 0.0) || Double.isInfinite(value)) {
      throw new InvalidPrivacyParameterException(
          name + " must be finite and > 0, got " + value);
    }
    return value;
  }

  /** An integer count of at least {@code min}. */
  public static int atLeast(String name, int value, int min) {
    if (value < min) {
      throw new InvalidPrivacyParameterException(
          name + " must be >= " + min + ", got " + value);
    }
    return value;
  }
}
