package io.fedlora.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShamirSecretSharingTest {

  private static SecureRandom seeded(long seed) throws Exception {
    SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
    r.setSeed(seed);
    return r;
  }

  @Test
  void primeIsTheDocumentedPrime() {
    assertEquals(BigInteger.TWO.pow(256).add(BigInteger.valueOf(297)), ShamirSecretSharing.PRIME);
    assertTrue(ShamirSecretSharing.PRIME.isProbablePrime(128));
  }

  @Test
  void anyTSharesReconstructAndFewerDoNot() throws Exception {
    Random pick = new Random(42);
    for (int iter = 0; iter < 60; iter++) {
      SecureRandom r = seeded(iter);
      int n = 2 + pick.nextInt(40);
      int t = 1 + pick.nextInt(n);
      int[] xs = new int[n];
      List<Integer> pool = new ArrayList<>();
      for (int i = 1; i <= 65_535 && pool.size() < 4 * n; i += 1 + pick.nextInt(500)) {
        pool.add(i);
      }
      Collections.shuffle(pool, pick);
      for (int i = 0; i < n; i++) {
        xs[i] = pool.get(i);
      }
      SecretBytes secret = SecretBytes.random(32, r);
      if (iter == 0) {
        secret = SecretBytes.copyOf(new byte[32]);
      } else if (iter == 1) {
        byte[] ff = new byte[32];
        java.util.Arrays.fill(ff, (byte) 0xff);
        secret = SecretBytes.copyOf(ff);
      }
      List<ShamirShare> shares = new ArrayList<>(ShamirSecretSharing.split(secret, t, xs, r));
      Collections.shuffle(shares, pick);
      int k = t + pick.nextInt(n - t + 1);
      assertEquals(secret, ShamirSecretSharing.reconstruct(shares.subList(0, k), t), "iter " + iter);
      assertEquals(secret, new ShamirSecretSharing.Reconstructor(t).reconstruct(shares.subList(0, k)));
      if (t > 1) {
        List<ShamirShare> few = shares.subList(0, t - 1);
        assertThrows(ReconstructionException.class, () -> ShamirSecretSharing.reconstruct(few, t));
        // t−1 shares carry no information: interpolating them as if the threshold were t−1 yields
        // an unrelated value (equal only with probability ~2^-256).
        try {
          assertNotEquals(secret, ShamirSecretSharing.reconstruct(few, t - 1));
        } catch (ReconstructionException inconsistent) {
          // also fine: the value fell outside 32 bytes
        }
      }
    }
  }

  @Test
  void tamperedShareIsNotSilentlyAccepted() throws Exception {
    SecureRandom r = seeded(7);
    SecretBytes secret = SecretBytes.random(32, r);
    List<ShamirShare> shares = ShamirSecretSharing.split(secret, 3, new int[] {1, 2, 3, 4}, r);
    byte[] v = shares.get(0).value().toByteArray();
    v[32] ^= 1;
    List<ShamirShare> bad = List.of(new ShamirShare(1, SecretBytes.copyOf(v)), shares.get(1), shares.get(2));
    try {
      assertNotEquals(secret, ShamirSecretSharing.reconstruct(bad, 3));
    } catch (ReconstructionException e) {
      // fine
    }
  }

  @Test
  void rejectsBadArguments() throws Exception {
    SecureRandom r = seeded(1);
    SecretBytes s = SecretBytes.random(32, r);
    assertThrows(IllegalArgumentException.class, () -> ShamirSecretSharing.split(s, 2, new int[] {0, 1}, r));
    assertThrows(IllegalArgumentException.class, () -> ShamirSecretSharing.split(s, 2, new int[] {1, 1}, r));
    assertThrows(InvalidParametersException.class, () -> ShamirSecretSharing.split(s, 3, new int[] {1, 2}, r));
    List<ShamirShare> shares = ShamirSecretSharing.split(s, 2, new int[] {1, 2, 3}, r);
    List<ShamirShare> dup = List.of(shares.get(0), shares.get(0));
    assertThrows(ReconstructionException.class, () -> ShamirSecretSharing.reconstruct(dup, 2));
  }
}
