package io.fedlora.crypto.encoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.InvalidParametersException;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SecureUpdateFormatTest {

  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void theSumDecodesToTheWeightedMeanTotalWeightAndMeanLoss() {
    int n = 5;
    int p = 300;
    SecureUpdateFormat f = SecureUpdateFormat.finest(p, 4.0, n, 1000);
    assertEquals(p + 5, f.vectorLength());
    SplittableRandom r = new SplittableRandom(3);
    int[] sum = new int[f.vectorLength()];
    double[] weighted = new double[p];
    long total = 0;
    double lossSum = 0;
    for (int c = 0; c < n; c++) {
      float[] u = new float[p];
      for (int i = 0; i < p; i++) {
        u[i] = (float) (r.nextDouble(-1, 1) * 0.1);
      }
      int w = 1 + r.nextInt(1000);
      double loss = r.nextDouble(0, 5);
      int[] e = f.encode(u, w, loss, RANDOM);
      for (int i = 0; i < sum.length; i++) {
        sum[i] += e[i];
      }
      for (int i = 0; i < p; i++) {
        weighted[i] += w * (double) u[i];
      }
      total += w;
      lossSum += w * loss;
    }
    SecureUpdateFormat.Aggregate a = f.decode(sum);
    assertEquals(total, a.totalWeight());
    double bound = f.parameters().meanErrorBound(n, total) + 1e-7;
    for (int i = 0; i < p; i++) {
      assertEquals(weighted[i] / total, a.meanUpdate()[i], bound);
    }
    assertEquals(lossSum / total, a.meanLoss(), n / (f.lossScale() * total) + 1e-9);
  }

  @Test
  void theFinestEncodingCannotOverflowEvenAtEveryBound() {
    int n = 7;
    SecureUpdateFormat f = SecureUpdateFormat.finest(4, 2.0, n, 500);
    int[] sum = new int[f.vectorLength()];
    for (int c = 0; c < n; c++) {
      int[] e = f.encode(new float[] {2f, 0, 0, 0}, 500, 1e9, RANDOM); // max norm, max weight, loss clamped
      for (int i = 0; i < sum.length; i++) {
        sum[i] += e[i];
      }
    }
    SecureUpdateFormat.Aggregate a = f.decode(sum);
    assertEquals(2.0, a.meanUpdate()[0], 1e-3, "still positive: no wrap-around");
    assertEquals(SecureUpdateFormat.MAX_LOSS, a.meanLoss(), 1e-3);
    float[] negative = {-2f, 0, 0, 0};
    int[] neg = new int[f.vectorLength()];
    for (int c = 0; c < n; c++) {
      int[] e = f.encode(negative, 500, 0, RANDOM);
      for (int i = 0; i < neg.length; i++) {
        neg[i] += e[i];
      }
    }
    assertEquals(-2.0, f.decode(neg).meanUpdate()[0], 1e-3);
  }

  @Test
  void everySumDecodesToFiniteFloats() {
    // Found by fuzzing: with clip 1e36, 1000 clients of weight up to 1000, the largest word a
    // client can force into the sum decoded to an infinite mean. Such a scale is now refused.
    assertThrows(InvalidParametersException.class, () -> SecureUpdateFormat.finest(2, 1e36, 1000, 1000));
    SecureUpdateFormat coarsest = SecureUpdateFormat.finest(2, 1e32, 1000, 1000);
    for (int word : new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      SecureUpdateFormat.Aggregate a = coarsest.decode(new int[] {word, word, 1, word, 0, 0, 0});
      assertTrue(Float.isFinite(a.meanUpdate()[0]) && Float.isFinite(a.meanUpdate()[1]));
      assertTrue(Double.isFinite(a.meanLoss()));
    }
  }

  @Test
  void aLossScaleThatCouldOverflowIsRefused() {
    EncodingParameters p = new EncodingParameters(4, 1, 1, 10, 100);
    var e = assertThrows(InvalidParametersException.class, () -> new SecureUpdateFormat(p, 1e6));
    assertTrue(e.getMessage().contains("lossScale"), e.getMessage());
    assertThrows(InvalidParametersException.class, () -> new SecureUpdateFormat(p, 0));
    assertThrows(InvalidParametersException.class, () -> new SecureUpdateFormat(p, Double.NaN));
  }

  @Test
  void theHeldOutWordsDecodeToTheMeanOfTheClientsThatSentAScore() {
    int n = 6;
    SecureUpdateFormat f = SecureUpdateFormat.finest(8, 1.0, n, 100);
    int[] sum = new int[f.vectorLength()];
    double[] exact = {0.25, 0.5, 1.0, 0.0};
    double[] loss = {1.5, 0.75, 0.0, 3.0};
    for (int c = 0; c < n; c++) {
      EvalScore score = c < exact.length ? new EvalScore(exact[c], loss[c]) : null; // two hold none
      int[] e = f.encode(new float[8], 10, 2.0, score, RANDOM);
      for (int i = 0; i < sum.length; i++) {
        sum[i] += e[i];
      }
    }
    EvalMean eval = f.decode(sum).eval();
    assertEquals(4, eval.clients());
    assertEquals(0.4375, eval.exactMatch(), 1e-6);
    assertEquals(1.3125, eval.loss(), 1e-6);
    assertEquals(2.0, f.decode(sum).meanLoss(), 1e-6, "the training loss word is unchanged");
  }

  @Test
  void noScoreAtAllDecodesToNone() {
    SecureUpdateFormat f = SecureUpdateFormat.finest(2, 1.0, 3, 10);
    int[] sum = new int[f.vectorLength()];
    for (int c = 0; c < 3; c++) {
      int[] e = f.encode(new float[2], 1, 1.0, RANDOM);
      for (int i = 0; i < sum.length; i++) {
        sum[i] += e[i];
      }
    }
    assertEquals(EvalMean.NONE, f.decode(sum).eval());
  }

  @Test
  void forgedHeldOutWordsAreRefusedOrDecodeInRange() {
    // A cohort member can mask any words; the sum must never decode to a count or mean out of range.
    SecureUpdateFormat f = SecureUpdateFormat.finest(2, 1.0, 5, 10);
    SplittableRandom r = new SplittableRandom(11);
    for (int trial = 0; trial < 10_000; trial++) {
      int[] sum = {0, 0, 5, 0, r.nextInt(-2, 8), r.nextInt(), r.nextInt()};
      try {
        EvalMean e = f.decode(sum).eval();
        assertTrue(e.clients() >= 0 && e.clients() <= 5);
        if (e.reported()) {
          assertTrue(e.exactMatch() >= 0 && e.exactMatch() <= 1, "exact " + e.exactMatch());
          assertTrue(e.loss() >= 0 && e.loss() <= SecureUpdateFormat.MAX_LOSS, "loss " + e.loss());
        }
      } catch (IllegalArgumentException expected) {
        assertTrue(expected.getMessage().contains("held-out"), expected.getMessage());
      }
    }
  }

  @Test
  void aScoreOutOfRangeIsRefusedByTheClient() {
    assertThrows(IllegalArgumentException.class, () -> new EvalScore(1.5, 0));
    assertThrows(IllegalArgumentException.class, () -> new EvalScore(0.5, Double.NaN));
  }
}
