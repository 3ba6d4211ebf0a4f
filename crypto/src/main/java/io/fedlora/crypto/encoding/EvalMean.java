package io.fedlora.crypto.encoding;

/**
 * The cohort's mean held-out score, each reporting client counted once; {@link #NONE} when no
 * client reported one (none holds held-out data, or the format does not carry it).
 */
public record EvalMean(int clients, double exactMatch, double loss) {
  public static final EvalMean NONE = new EvalMean(0, Double.NaN, Double.NaN);

  public boolean reported() {
    return clients > 0;
  }

  /** The plain mean of the scores sent (nulls are clients that sent none). */
  public static EvalMean of(java.util.Collection<EvalScore> scores) {
    int n = 0;
    double exact = 0;
    double loss = 0;
    for (EvalScore s : scores) {
      if (s != null) {
        n++;
        exact += s.exactMatch();
        loss += s.loss();
      }
    }
    return n == 0 ? NONE : new EvalMean(n, exact / n, loss / n);
  }
}
