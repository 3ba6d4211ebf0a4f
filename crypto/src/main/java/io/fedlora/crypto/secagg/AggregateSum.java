package io.fedlora.crypto.secagg;

import java.util.List;

/** The round's result: Σ x_u mod 2^32 over {@code contributors}, nothing else. */
public final class AggregateSum {
  private final int[] sum;
  private final List<ClientId> contributors;
  private final List<ClientId> dropped;

  AggregateSum(int[] sum, List<ClientId> contributors, List<ClientId> dropped) {
    this.sum = sum;
    this.contributors = List.copyOf(contributors);
    this.dropped = List.copyOf(dropped);
  }

  /** A copy of the summed vector. */
  public int[] sum() {
    return sum.clone();
  }

  public int length() {
    return sum.length;
  }

  /** Clients whose input is in the sum. */
  public List<ClientId> contributors() {
    return contributors;
  }

  /** Cohort members whose input is not in the sum. */
  public List<ClientId> dropped() {
    return dropped;
  }

  @Override
  public String toString() {
    return "AggregateSum[" + sum.length + " words, " + contributors.size() + " contributors]";
  }
}
