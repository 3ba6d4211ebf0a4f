package io.fedlora.crypto.privacy;

import java.util.List;

/**
 * An immutable record of composed Poisson-subsampled Gaussian steps (add-or-remove-one adjacency)
 * that answers (epsilon, delta) questions. {@code compose} returns a new accountant; the receiver is
 * unchanged, so a ledger can keep its history and ask "what if" about a proposed round.
 */
public interface PrivacyAccountant {

  /** A new accountant with {@code steps} more steps at (q, sigma) composed onto this one. */
  PrivacyAccountant compose(double samplingRate, double noiseMultiplier, long steps);

  /** A new accountant with the given steps composed onto this one. */
  PrivacyAccountant compose(SampledGaussianSteps steps);

  /** The composed pieces, in order. */
  List<SampledGaussianSteps> history();

  /**
   * Smallest epsilon (&gt;= 0) such that everything composed so far is (epsilon, delta)-DP;
   * {@code Double.POSITIVE_INFINITY} when none exists. Zero when nothing is composed.
   */
  double epsilon(double delta);

  /** Smallest delta such that everything composed so far is (epsilon, delta)-DP. */
  double delta(double epsilon);
}
