package io.fedlora.crypto.secagg;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.KeyDerivation;
import io.fedlora.crypto.MaskPrg;
import io.fedlora.crypto.SecretBytes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The round's communication graph. Sparse case: a Harary graph H(k, n) (ring slot i joined to
 * slots i±1..i±k/2) over a uniformly random permutation of the cohort, the permutation drawn from
 * the public per-round graph seed (HKDF-bound to job and round, expanded with {@link MaskPrg}), so
 * every party computes the same graph. Complete case: everyone is everyone's neighbour.
 */
public final class NeighbourGraph {
  private final int[][] neighbours; // by 0-based cohort index, sorted ascending

  private NeighbourGraph(int[][] neighbours) {
    this.neighbours = neighbours;
  }

  static NeighbourGraph build(RoundId roundId, Bytes graphSeed, int n, int k, boolean complete) {
    int[][] nb = new int[n][];
    if (complete) {
      for (int i = 0; i < n; i++) {
        int[] a = new int[n - 1];
        for (int j = 0, m = 0; j < n; j++) {
          if (j != i) {
            a[m++] = j;
          }
        }
        nb[i] = a;
      }
      return new NeighbourGraph(nb);
    }
    int[] perm = permutation(roundId, graphSeed, n);
    int half = k / 2;
    for (int slot = 0; slot < n; slot++) {
      int[] a = new int[k];
      int m = 0;
      for (int d = 1; d <= half; d++) {
        a[m++] = perm[(slot + d) % n];
        a[m++] = perm[(slot - d + n) % n];
      }
      Arrays.sort(a);
      nb[perm[slot]] = a;
    }
    return new NeighbourGraph(nb);
  }

  private static int[] permutation(RoundId roundId, Bytes graphSeed, int n) {
    SecretBytes key = KeyDerivation.forRound(roundId.jobId(), roundId.round())
        .deriveKey(SecretBytes.copyOf(graphSeed.toByteArray()), "fedlora/secagg/v1/graph", "", "");
    MaskPrg.WordStream rng = MaskPrg.stream(key);
    int[] word = new int[1];
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      long bound = i + 1L;
      long limit = (1L << 32) - ((1L << 32) % bound); // rejection: unbiased
      long r;
      do {
        rng.next(word, 0, 1);
        r = word[0] & 0xffffffffL;
      } while (r >= limit);
      int j = (int) (r % bound);
      int tmp = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
    return perm;
  }

  /** 0-based cohort indices of {@code index}'s neighbours, ascending. */
  public int[] neighboursOf(int index) {
    return neighbours[index].clone();
  }

  public boolean areNeighbours(int a, int b) {
    return Arrays.binarySearch(neighbours[a], b) >= 0;
  }

  public int degree(int index) {
    return neighbours[index].length;
  }

  List<Integer> neighbourList(int index) {
    List<Integer> l = new ArrayList<>(neighbours[index].length);
    for (int x : neighbours[index]) {
      l.add(x);
    }
    return Collections.unmodifiableList(l);
  }
}
