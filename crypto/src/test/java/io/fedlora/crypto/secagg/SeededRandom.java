package io.fedlora.crypto.secagg;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * A reproducible SecureRandom for fuzz harnesses, which must rebuild the same keys for every input.
 * SUN's SHA1PRNG is deterministic when seeded before first use. Never for production keys.
 */
final class SeededRandom {
  private SeededRandom() {}

  static SecureRandom of(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG", "SUN");
      // setSeed(long) ignores 0, which would leave the generator self-seeding.
      r.setSeed(java.nio.ByteBuffer.allocate(Long.BYTES).putLong(seed).array());
      return r;
    } catch (NoSuchAlgorithmException | java.security.NoSuchProviderException e) {
      throw new IllegalStateException(e);
    }
  }
}
