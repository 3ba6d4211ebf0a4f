package io.fedlora.crypto.encoding;

import io.fedlora.crypto.InvalidParametersException;
import java.security.SecureRandom;

/**
 * The vector one client contributes to a secure round: its update encoded by
 * {@link QuantizedEncoder} (P words), its weight w (1 word), w·loss in fixed point (1 word), and
 * its held-out score (3 words: 1 if it sent one, else 0; exact match and loss in fixed point).
 * All ride inside the masked vector so that the coordinator learns the total weight, the weighted
 * mean loss and the mean held-out score from the sum only, never per client.
 *
 * <p>Loss headroom: the loss is clamped to [0, {@link #MAX_LOSS}] and its word is
 * ⌊w·loss·lossScale⌋ ≤ maxWeight·MAX_LOSS·lossScale, so n of them sum below 2^31 when
 * {@code n·maxWeight·MAX_LOSS·lossScale ≤ 2^31 − 1}, checked here. The held-out words are
 * unweighted (each client counts once), so their scale is the same bound with maxWeight = 1.
 */
public final class SecureUpdateFormat implements SecureVectorFormat {
  /** Losses above this (cross-entropy of a near-uniform 10^27-token vocabulary) are clamped. */
  public static final double MAX_LOSS = 64;
  private static final double INT_MAX = Integer.MAX_VALUE;
  // Keeps the largest scales strictly inside the bound despite floating-point rounding.
  private static final double MARGIN = 1 - 1e-9;

  private static final int EVAL_WORDS = 3;

  private final QuantizedEncoder encoder;
  private final double lossScale;
  private final double evalScale;

  public SecureUpdateFormat(EncodingParameters params, double lossScale) {
    double worst = (double) params.cohortSize() * params.maxWeight() * MAX_LOSS * lossScale;
    if (!(lossScale > 0) || Double.isInfinite(lossScale) || worst > INT_MAX) {
      throw new InvalidParametersException(String.format(
          "lossScale must be positive with cohortSize × maxWeight × %.0f × lossScale ≤ 2^31−1, got %s",
          MAX_LOSS, lossScale));
    }
    this.encoder = new QuantizedEncoder(params);
    this.lossScale = lossScale;
    this.evalScale = INT_MAX / ((double) params.cohortSize() * MAX_LOSS) * MARGIN;
  }

  /** The finest encoding that cannot overflow for this cohort size, weight cap and clip norm. */
  public static SecureUpdateFormat finest(int dimension, double clipNorm, int cohortSize, int maxWeight) {
    if (cohortSize < 1 || maxWeight < 1 || !(clipNorm > 0)) {
      throw new InvalidParametersException("cohortSize, maxWeight and clipNorm must be positive");
    }
    double scale = Math.floor(INT_MAX / cohortSize) / ((double) maxWeight * clipNorm) * MARGIN;
    double lossScale = INT_MAX / ((double) cohortSize * maxWeight * MAX_LOSS) * MARGIN;
    return new SecureUpdateFormat(new EncodingParameters(dimension, clipNorm, scale, cohortSize, maxWeight),
        lossScale);
  }

  public EncodingParameters parameters() {
    return encoder.parameters();
  }

  public double lossScale() {
    return lossScale;
  }

  /** Words per vector: P parameters, the weight, the weighted loss, the held-out score. */
  @Override
  public int vectorLength() {
    return (int) vectorLength(encoder.parameters().dimension());
  }

  /** Words per vector for an update of {@code dimension} values (before a format is built). */
  public static long vectorLength(long dimension) {
    return dimension + 2 + EVAL_WORDS;
  }

  @Override
  public int dimension() {
    return encoder.parameters().dimension();
  }

  @Override
  public double clipNorm() {
    return encoder.parameters().clipNorm();
  }

  @Override
  public int maxWeight() {
    return encoder.parameters().maxWeight();
  }

  /** Encodes one client's contribution; {@code weight} must be in 1..maxWeight. */
  @Override
  public int[] encode(float[] update, int weight, double loss, EvalScore eval, SecureRandom random) {
    int[] head = encoder.encode(update, weight, random);
    int[] out = java.util.Arrays.copyOf(head, head.length + 1 + EVAL_WORDS);
    java.util.Arrays.fill(head, 0);
    out[head.length] = (int) Math.floor(weight * clampLoss(loss) * lossScale);
    if (eval != null) {
      out[head.length + 1] = 1;
      out[head.length + 2] = (int) Math.floor(eval.exactMatch() * evalScale);
      out[head.length + 3] = (int) Math.floor(clampLoss(eval.loss()) * evalScale);
    }
    return out;
  }

  private static double clampLoss(double loss) {
    return Double.isNaN(loss) ? MAX_LOSS : Math.min(MAX_LOSS, Math.max(0, loss));
  }

  /** The weighted mean update, the total weight and the weighted mean loss, from the modular sum. */
  public Aggregate decode(int[] sum) {
    int n = vectorLength();
    if (sum.length != n) {
      throw new IllegalArgumentException("sum has " + sum.length + " words, expected " + n);
    }
    int lossWord = n - 1 - EVAL_WORDS;
    DecodedAggregate head = encoder.decode(java.util.Arrays.copyOf(sum, lossWord));
    double meanLoss = sum[lossWord] / (lossScale * head.totalWeight());
    return new Aggregate(head.mean(), head.totalWeight(), meanLoss, decodeEval(sum, lossWord + 1));
  }

  /** Any client can mask arbitrary words: a count or mean out of range makes the sum undecodable. */
  private EvalMean decodeEval(int[] sum, int at) {
    int clients = sum[at];
    if (clients < 0 || clients > encoder.parameters().cohortSize()) {
      throw new IllegalArgumentException("held-out count word is " + clients + ", outside 0.."
          + encoder.parameters().cohortSize());
    }
    if (clients == 0) {
      return EvalMean.NONE;
    }
    double exact = sum[at + 1] / (evalScale * clients);
    double loss = sum[at + 2] / (evalScale * clients);
    if (!(exact >= 0 && exact <= 1) || !(loss >= 0 && loss <= MAX_LOSS)) {
      throw new IllegalArgumentException("held-out means out of range: exact match " + exact + ", loss " + loss);
    }
    return new EvalMean(clients, exact, loss);
  }

  /** The weight word already says how much the sum weighs; {@code contributors} is not needed. */
  @Override
  public Aggregate decode(int[] sum, int contributors) {
    return decode(sum);
  }
}
