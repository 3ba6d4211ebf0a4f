package io.fedlora.crypto.encoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.InvalidParametersException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomizedHadamardTest {

  private static Bytes seed(int b) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) b);
    return Bytes.copyOf(s);
  }

  private static float[] randomVector(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return x;
  }

  @Test
  void theRotationMatrixIsOrthonormal() {
    int d = 16;
    RandomizedHadamard h = RandomizedHadamard.fromSeed(d, seed(1));
    double[][] columns = new double[d][];
    for (int j = 0; j < d; j++) {
      float[] e = new float[d];
      e[j] = 1;
      columns[j] = h.rotate(e);
    }
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double dot = 0;
        for (int k = 0; k < d; k++) {
          dot += columns[i][k] * columns[j][k];
        }
        assertEquals(i == j ? 1.0 : 0.0, dot, 1e-12, "column " + i + " . column " + j);
      }
    }
  }

  @Test
  void inverseUndoesTheRotationAndNormsAreKept() {
    int d = 1000;
    RandomizedHadamard h = RandomizedHadamard.fromSeed(d, seed(2));
    assertEquals(1024, h.paddedDimension());
    float[] x = randomVector(d, 7);
    double[] y = h.rotate(x);
    double nx = 0;
    double ny = 0;
    for (float v : x) {
      nx += (double) v * v;
    }
    for (double v : y) {
      ny += v * v;
    }
    assertEquals(nx, ny, 1e-9 * nx, "rotation keeps the L2 norm");
    double[] back = h.inverse(y);
    for (int i = 0; i < 1024; i++) {
      assertEquals(i < d ? x[i] : 0.0, back[i], 1e-12, "coordinate " + i);
    }
  }

  @Test
  void aSpikeIsSpreadEvenlyOverEveryCoordinate() {
    RandomizedHadamard h = RandomizedHadamard.fromSeed(64, seed(3));
    float[] spike = new float[64];
    spike[5] = 8;
    for (double v : h.rotate(spike)) {
      assertEquals(1.0, Math.abs(v), 1e-12, "8/sqrt(64) in every coordinate");
    }
  }

  @Test
  void theSeedDecidesTheSignsAndBothSidesAgree() {
    float[] x = randomVector(100, 9);
    assertArrayEquals(RandomizedHadamard.fromSeed(100, seed(4)).rotate(x),
        RandomizedHadamard.fromSeed(100, seed(4)).rotate(x));
    assertFalse(Arrays.equals(RandomizedHadamard.fromSeed(100, seed(4)).rotate(x),
        RandomizedHadamard.fromSeed(100, seed(5)).rotate(x)));
  }

  @Test
  void paddingIsToTheNextPowerOfTwo() {
    assertEquals(1, RandomizedHadamard.paddedDimension(1));
    assertEquals(2, RandomizedHadamard.paddedDimension(2));
    assertEquals(8, RandomizedHadamard.paddedDimension(5));
    assertEquals(8, RandomizedHadamard.paddedDimension(8));
    assertEquals(2048, RandomizedHadamard.paddedDimension(1025));
    assertThrows(InvalidParametersException.class, () -> RandomizedHadamard.paddedDimension(0));
    assertThrows(InvalidParametersException.class, () -> RandomizedHadamard.fromSeed(8, Bytes.copyOf(new byte[5])));
  }
}
