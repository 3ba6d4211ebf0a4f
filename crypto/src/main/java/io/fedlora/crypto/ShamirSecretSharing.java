package io.fedlora.crypto;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Shamir t-of-n secret sharing of 32-byte secrets over the prime field GF(p) with
 * <b>p = 2^256 + 297</b>, the smallest prime above 2^256 (so every 32-byte string is a field
 * element and the sharing is perfectly hiding). A share is f(i) for a uniformly random polynomial
 * f of degree t−1 with f(0) = secret; the evaluation point i is the holder's client position
 * (1-based, never 0). Shares are 33-byte big-endian field elements.
 *
 * <p>Any t shares reconstruct by Lagrange interpolation at 0; t−1 shares are independent of the
 * secret. Reconstruction uses the t shares with the smallest indices; a result ≥ 2^256 proves the
 * shares inconsistent.
 */
public final class ShamirSecretSharing {
  public static final BigInteger PRIME = BigInteger.ONE.shiftLeft(256).add(BigInteger.valueOf(297));
  public static final int SECRET_SIZE = 32;
  public static final int SHARE_SIZE = 33;
  public static final int MAX_INDEX = 65_535;
  private static final BigInteger TWO_256 = BigInteger.ONE.shiftLeft(256);

  private ShamirSecretSharing() {}

  /** Splits {@code secret} into one share per entry of {@code indices} (distinct, 1..65535). */
  public static List<ShamirShare> split(
      SecretBytes secret, int threshold, int[] indices, SecureRandom random) {
    if (secret.size() != SECRET_SIZE) {
      throw new IllegalArgumentException("secret must be 32 bytes");
    }
    if (threshold < 1 || threshold > indices.length) {
      throw new InvalidParametersException(
          "threshold must be in 1.." + indices.length + ", got " + threshold);
    }
    checkIndices(Arrays.stream(indices).boxed().toList());
    BigInteger[] coeff = new BigInteger[threshold];
    byte[] s = secret.toByteArray();
    coeff[0] = new BigInteger(1, s);
    Arrays.fill(s, (byte) 0);
    for (int j = 1; j < threshold; j++) {
      coeff[j] = randomFieldElement(random);
    }
    List<ShamirShare> shares = new ArrayList<>(indices.length);
    for (int x : indices) {
      BigInteger bx = BigInteger.valueOf(x);
      BigInteger acc = coeff[threshold - 1];
      for (int j = threshold - 2; j >= 0; j--) {
        acc = acc.multiply(bx).add(coeff[j]);
        // Lazy reduction: each step adds ≤ 17 bits, so reduce every ~15 steps instead of every
        // step (the mod dominated dealing: ~10k of them per client at t = 53, k = 99).
        if (acc.bitLength() > 512) {
          acc = acc.mod(PRIME);
        }
      }
      acc = acc.mod(PRIME);
      shares.add(new ShamirShare(x, SecretBytes.wrap(toFixed(acc, SHARE_SIZE))));
    }
    return shares;
  }

  /**
   * Reconstructs the secret from at least {@code threshold} shares.
   *
   * @throws ReconstructionException with fewer than {@code threshold} shares, repeated indices, or
   *     shares that interpolate to a value outside 32 bytes
   */
  public static SecretBytes reconstruct(List<ShamirShare> shares, int threshold)
      throws ReconstructionException {
    if (threshold < 1) {
      throw new InvalidParametersException("threshold must be positive");
    }
    if (shares.size() < threshold) {
      throw new ReconstructionException(
          "need " + threshold + " shares, have " + shares.size());
    }
    try {
      checkIndices(shares.stream().map(ShamirShare::index).toList());
    } catch (IllegalArgumentException e) {
      throw new ReconstructionException(e.getMessage());
    }
    List<ShamirShare> use = new ArrayList<>(shares);
    use.sort(Comparator.comparingInt(ShamirShare::index));
    use = use.subList(0, threshold);
    int[] xs = use.stream().mapToInt(ShamirShare::index).toArray();
    return combine(use, lagrangeAtZero(xs));
  }

  /**
   * Reconstructs like {@link #reconstruct}, caching Lagrange coefficients by index set: a server
   * rebuilding many secrets from the same holders pays for the coefficients once. Not thread-safe.
   */
  public static final class Reconstructor {
    private final int threshold;
    private final java.util.Map<java.util.List<Integer>, BigInteger[]> cache = new java.util.HashMap<>();

    public Reconstructor(int threshold) {
      if (threshold < 1) {
        throw new InvalidParametersException("threshold must be positive");
      }
      this.threshold = threshold;
    }

    public SecretBytes reconstruct(List<ShamirShare> shares) throws ReconstructionException {
      if (shares.size() < threshold) {
        throw new ReconstructionException("need " + threshold + " shares, have " + shares.size());
      }
      try {
        checkIndices(shares.stream().map(ShamirShare::index).toList());
      } catch (IllegalArgumentException e) {
        throw new ReconstructionException(e.getMessage());
      }
      List<ShamirShare> use = new ArrayList<>(shares);
      use.sort(Comparator.comparingInt(ShamirShare::index));
      use = use.subList(0, threshold);
      int[] xs = use.stream().mapToInt(ShamirShare::index).toArray();
      BigInteger[] lambda = cache.computeIfAbsent(
          Arrays.stream(xs).boxed().toList(), k -> lagrangeAtZero(xs));
      return combine(use, lambda);
    }
  }

  /** λ_i = Π_{j≠i} x_j / (x_j − x_i) mod p, from exact small-integer products (one mod each). */
  static BigInteger[] lagrangeAtZero(int[] xs) {
    int t = xs.length;
    BigInteger[] num = new BigInteger[t];
    BigInteger[] den = new BigInteger[t];
    for (int i = 0; i < t; i++) {
      long xi = xs[i];
      BigInteger n = BigInteger.ONE;
      BigInteger d = BigInteger.ONE;
      long pn = 1;
      long pd = 1;
      int packed = 0;
      for (int j = 0; j < t; j++) {
        if (j == i) {
          continue;
        }
        pn *= xs[j];
        pd *= xs[j] - xi;
        if (++packed == 3) { // three 16-bit factors fit in a long
          n = n.multiply(BigInteger.valueOf(pn));
          d = d.multiply(BigInteger.valueOf(pd));
          pn = 1;
          pd = 1;
          packed = 0;
        }
      }
      num[i] = n.multiply(BigInteger.valueOf(pn)).mod(PRIME);
      den[i] = d.multiply(BigInteger.valueOf(pd)).mod(PRIME);
    }
    BigInteger[] inv = batchInverse(den);
    for (int i = 0; i < t; i++) {
      inv[i] = inv[i].multiply(num[i]).mod(PRIME);
    }
    return inv;
  }

  private static SecretBytes combine(List<ShamirShare> use, BigInteger[] lambda)
      throws ReconstructionException {
    BigInteger acc = BigInteger.ZERO;
    for (int i = 0; i < use.size(); i++) {
      byte[] y = use.get(i).value().toByteArray();
      BigInteger yi = new BigInteger(1, y);
      Arrays.fill(y, (byte) 0);
      if (yi.compareTo(PRIME) >= 0) {
        throw new ReconstructionException("share value is not a field element");
      }
      acc = acc.add(yi.multiply(lambda[i]));
    }
    acc = acc.mod(PRIME);
    if (acc.compareTo(TWO_256) >= 0) {
      throw new ReconstructionException("shares are inconsistent (result exceeds 256 bits)");
    }
    return SecretBytes.wrap(toFixed(acc, SECRET_SIZE));
  }

  /** Montgomery's trick: one modular inversion for all denominators. */
  private static BigInteger[] batchInverse(BigInteger[] a) {
    int n = a.length;
    BigInteger[] prefix = new BigInteger[n];
    BigInteger run = BigInteger.ONE;
    for (int i = 0; i < n; i++) {
      prefix[i] = run;
      run = run.multiply(a[i]).mod(PRIME);
    }
    BigInteger invRun = run.modInverse(PRIME);
    BigInteger[] out = new BigInteger[n];
    for (int i = n - 1; i >= 0; i--) {
      out[i] = invRun.multiply(prefix[i]).mod(PRIME);
      invRun = invRun.multiply(a[i]).mod(PRIME);
    }
    return out;
  }

  private static void checkIndices(List<Integer> indices) {
    Set<Integer> seen = new HashSet<>();
    for (int x : indices) {
      if (x < 1 || x > MAX_INDEX) {
        throw new IllegalArgumentException("share index out of range 1.." + MAX_INDEX + ": " + x);
      }
      if (!seen.add(x)) {
        throw new IllegalArgumentException("duplicate share index " + x);
      }
    }
  }

  /** Uniform in [0, p) by rejection on 257-bit candidates (no modulo bias). */
  private static BigInteger randomFieldElement(SecureRandom random) {
    byte[] b = new byte[SHARE_SIZE];
    while (true) {
      random.nextBytes(b);
      b[0] &= 0x01;
      BigInteger v = new BigInteger(1, b);
      if (v.compareTo(PRIME) < 0) {
        Arrays.fill(b, (byte) 0);
        return v;
      }
    }
  }

  static byte[] toFixed(BigInteger v, int len) {
    byte[] raw = v.toByteArray();
    byte[] out = new byte[len];
    int copy = Math.min(raw.length, len);
    System.arraycopy(raw, raw.length - copy, out, len - copy, copy);
    Arrays.fill(raw, (byte) 0);
    return out;
  }
}
