package io.fedlora.crypto.privacy.internal;

/**
 * The two orders of a neighbouring pair under add-or-remove-one adjacency. With mu0 = N(0, sigma^2)
 * and mu = (1 - q) N(0, sigma^2) + q N(1, sigma^2): REMOVE compares (P, Q) = (mu, mu0), ADD compares
 * (P, Q) = (mu0, mu). A guarantee must hold for both; composed mechanisms keep one direction per
 * pair, so each direction is composed separately and the worse is reported.
 */
public enum LossDirection {
  REMOVE,
  ADD
}
