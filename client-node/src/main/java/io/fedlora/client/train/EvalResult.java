package io.fedlora.client.train;

/**
 * Held-out quality: the fraction of examples whose whole answer (EOS included) is the argmax at
 * every position under teacher forcing, which is exactly what greedy decoding would produce, and
 * the mean NLL per answer token. Truncated examples never count as exact.
 */
public record EvalResult(double exactMatch, int exactCount, int examples, double meanLoss, long tokens, int truncated) {}
