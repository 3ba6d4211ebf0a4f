package io.fedlora.crypto.encoding;

/**
 * One client's held-out score of the adapter a round started from: the fraction of its held-out
 * examples answered exactly, and the mean loss per answer token. In a secure round it rides inside
 * the masked vector, so the coordinator learns only the cohort's mean.
 */
public record EvalScore(double exactMatch, double loss) {
  public EvalScore {
    if (!(exactMatch >= 0 && exactMatch <= 1)) {
      throw new IllegalArgumentException("exactMatch must be in [0, 1], got " + exactMatch);
    }
    if (!(loss >= 0) || Double.isInfinite(loss)) {
      throw new IllegalArgumentException("loss must be finite and non-negative, got " + loss);
    }
  }
}
