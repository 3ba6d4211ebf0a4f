package io.fedlora.crypto;

import io.fedlora.crypto.internal.AesCtrKeystream;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The mask pseudo-random generator: a 32-byte seed expands to 32-bit words through AES-256-CTR
 * (JCE), key = seed, initial counter block = 0^128, word i = little-endian bytes [4i, 4i+4) of
 * the keystream. Seeds are single-use (fresh per round, or derived per job/round/pair with
 * {@link KeyDerivation}), so the fixed counter start never repeats a keystream.
 *
 * <p>{@link #accumulate} expands many seeds at once, chunk by chunk, so that the target slice and
 * the keystream buffer stay in cache: the cost is close to the raw AES-CTR keystream rate.
 */
public final class MaskPrg {
  public static final int SEED_SIZE = 32;
  /** 16 KiB of keystream per step: measured best on AVX-512/VAES (fits L1/L2 with the target). */
  static final int CHUNK_WORDS = 4096;

  private MaskPrg() {}

  /** One term of a mask sum: {@code ±PRG(seed)}. */
  public record MaskTerm(SecretBytes seed, boolean negate) {
    public MaskTerm {
      Objects.requireNonNull(seed, "seed");
      if (seed.size() != SEED_SIZE) {
        throw new IllegalArgumentException("mask seed must be 32 bytes");
      }
    }

    public static MaskTerm plus(SecretBytes seed) {
      return new MaskTerm(seed, false);
    }

    public static MaskTerm minus(SecretBytes seed) {
      return new MaskTerm(seed, true);
    }
  }

  /** The first {@code length} words of PRG(seed). */
  public static int[] expand(SecretBytes seed, int length) {
    int[] out = new int[length];
    accumulate(List.of(MaskTerm.plus(seed)), out);
    return out;
  }

  /** {@code target[i] += Σ_terms ±PRG(seed)[i]} (mod 2^32), for every i. */
  public static void accumulate(List<MaskTerm> terms, int[] target) {
    accumulate(terms, target, 1);
  }

  /**
   * {@link #accumulate(List, int[])} on up to {@code threads} threads of the common fork-join pool
   * (the caller's included): each range of whole chunks expands every seed from its own counter
   * block, so the result is identical whatever the thread count.
   */
  public static void accumulate(List<MaskTerm> terms, int[] target, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    if (terms.isEmpty() || target.length == 0) {
      return;
    }
    int chunks = (target.length + CHUNK_WORDS - 1) / CHUNK_WORDS;
    int parts = Math.max(1, Math.min(threads, chunks));
    IntStream ranges = IntStream.range(0, parts);
    (parts > 1 ? ranges.parallel() : ranges).forEach(part -> {
      int from = (int) ((long) chunks * part / parts) * CHUNK_WORDS;
      int to = (int) Math.min(target.length, (long) chunks * (part + 1) / parts * CHUNK_WORDS);
      try (Streams streams = new Streams(terms, from / 4L)) {
        for (int off = from; off < to; off += CHUNK_WORDS) {
          streams.addNext(target, off, Math.min(CHUNK_WORDS, to - off));
        }
      }
    });
  }

  /**
   * Writes {@code input[i] + Σ_terms ±PRG(seed)[i]} (mod 2^32) as little-endian words into
   * {@code out} (4·input.length bytes). Same words as {@link #accumulate} on a copy of input, but
   * in one pass: each chunk is summed in a cache-resident scratch and written out once, so the
   * caller needs neither an int[] copy of the vector nor a second pass to serialise it.
   */
  public static void accumulateLittleEndian(List<MaskTerm> terms, int[] input, byte[] out) {
    accumulateLittleEndian(terms, input, out, 1);
  }

  /**
   * {@link #accumulateLittleEndian(List, int[], byte[])} on up to {@code threads} threads of the
   * common fork-join pool (the caller's included): the vector is cut into ranges of whole chunks
   * and each range expands every seed from its own counter block, so the output is identical
   * whatever the thread count.
   */
  public static void accumulateLittleEndian(List<MaskTerm> terms, int[] input, byte[] out, int threads) {
    if (out.length != 4L * input.length) {
      throw new IllegalArgumentException("output must hold 4 bytes per input word");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    int chunks = (input.length + CHUNK_WORDS - 1) / CHUNK_WORDS;
    int parts = Math.max(1, Math.min(threads, chunks));
    if (parts == 1) {
      accumulateRange(terms, input, out, 0, input.length);
      return;
    }
    IntStream.range(0, parts).parallel().forEach(part -> {
      int from = (int) ((long) chunks * part / parts) * CHUNK_WORDS;
      int to = (int) Math.min(input.length, (long) chunks * (part + 1) / parts * CHUNK_WORDS);
      accumulateRange(terms, input, out, from, to);
    });
  }

  /** Words {@code [from, to)} of the masked vector; {@code from} is a multiple of CHUNK_WORDS. */
  private static void accumulateRange(List<MaskTerm> terms, int[] input, byte[] out, int from, int to) {
    int[] chunk = new int[CHUNK_WORDS];
    // 4 words per AES block.
    try (Streams streams = new Streams(terms, from / 4L)) {
      for (int off = from; off < to; off += CHUNK_WORDS) {
        int n = Math.min(CHUNK_WORDS, to - off);
        System.arraycopy(input, off, chunk, 0, n);
        streams.addNext(chunk, 0, n);
        for (int j = 0; j < n; j++) {
          AesCtrKeystream.INT_LE.set(out, (off + j) << 2, chunk[j]);
        }
      }
    }
    Arrays.fill(chunk, 0);
  }

  /** The keystreams of a list of terms, read in lockstep one chunk at a time. */
  private static final class Streams implements AutoCloseable {
    private final AesCtrKeystream[] ks;
    private final boolean[] negate;
    private final byte[] buf = new byte[CHUNK_WORDS * 4];

    Streams(List<MaskTerm> terms) {
      this(terms, 0);
    }

    Streams(List<MaskTerm> terms, long firstBlock) {
      ks = new AesCtrKeystream[terms.size()];
      negate = new boolean[terms.size()];
      for (int i = 0; i < ks.length; i++) {
        byte[] k = terms.get(i).seed().toByteArray();
        ks[i] = new AesCtrKeystream(k, firstBlock);
        Arrays.fill(k, (byte) 0);
        negate[i] = terms.get(i).negate();
      }
    }

    /** {@code acc[off, off+n) += Σ ±(next n words)} over all streams; n ≤ CHUNK_WORDS. */
    void addNext(int[] acc, int off, int n) {
      for (int s = 0; s < ks.length; s++) {
        ks[s].next(buf, n * 4);
        if (negate[s]) {
          subtract(buf, acc, off, n);
        } else {
          add(buf, acc, off, n);
        }
      }
    }

    @Override
    public void close() {
      Arrays.fill(buf, (byte) 0);
    }
  }

  private static void add(byte[] ks, int[] target, int off, int n) {
    for (int j = 0; j < n; j++) {
      target[off + j] += (int) AesCtrKeystream.INT_LE.get(ks, j << 2);
    }
  }

  private static void subtract(byte[] ks, int[] target, int off, int n) {
    for (int j = 0; j < n; j++) {
      target[off + j] -= (int) AesCtrKeystream.INT_LE.get(ks, j << 2);
    }
  }

  /** A sequential reader of PRG(seed) words, for consumers that need randomness in order. */
  public static WordStream stream(SecretBytes seed) {
    return new WordStream(seed);
  }

  /** Sequential PRG words. Not thread-safe. */
  public static final class WordStream {
    private final AesCtrKeystream ks;
    private final byte[] buf = new byte[CHUNK_WORDS * 4];

    private WordStream(SecretBytes seed) {
      if (seed.size() != SEED_SIZE) {
        throw new IllegalArgumentException("mask seed must be 32 bytes");
      }
      byte[] k = seed.toByteArray();
      ks = new AesCtrKeystream(k);
      Arrays.fill(k, (byte) 0);
    }

    /** Fills {@code dst[off, off+len)} with the next words. */
    public void next(int[] dst, int off, int len) {
      while (len > 0) {
        int n = Math.min(len, CHUNK_WORDS);
        ks.next(buf, n * 4);
        for (int j = 0; j < n; j++) {
          dst[off + j] = (int) AesCtrKeystream.INT_LE.get(buf, j << 2);
        }
        off += n;
        len -= n;
      }
    }
  }
}
