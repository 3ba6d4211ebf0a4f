package io.fedlora.crypto.privacy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FftTest {

  @Test
  void circularConvolutionMatchesDirectSum() {
    int n = 64;
    Random r = new Random(7); // test data only; not a privacy-relevant source
    double[] a = new double[n];
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextDouble();
      b[i] = r.nextDouble();
    }
    double[] direct = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        direct[(i + j) % n] += a[i] * b[j];
      }
    }
    Fft fft = new Fft(n);
    double[] ar = a.clone();
    double[] ai = new double[n];
    double[] br = b.clone();
    double[] bi = new double[n];
    fft.forward(ar, ai);
    fft.forward(br, bi);
    for (int k = 0; k < n; k++) {
      double re = ar[k] * br[k] - ai[k] * bi[k];
      double im = ar[k] * bi[k] + ai[k] * br[k];
      ar[k] = re;
      ai[k] = im;
    }
    fft.inverse(ar, ai);
    for (int i = 0; i < n; i++) {
      assertEquals(direct[i], ar[i], 1e-12);
      assertEquals(0.0, ai[i], 1e-12);
    }
  }

  @Test
  void rejectsLengthsThatAreNotPowersOfTwo() {
    assertThrows(IllegalArgumentException.class, () -> new Fft(12));
  }
}
