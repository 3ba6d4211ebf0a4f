package io.fedlora.client.train;

/**
 * The result of local training. {@code delta} is adapter_after - adapter_before in the start
 * adapter's layout; in exact (frozen-A) mode its A entries are zero.
 */
public record TrainOutcome(float[] delta, long numExamples, double meanLoss, int steps, double trainSeconds) {}
