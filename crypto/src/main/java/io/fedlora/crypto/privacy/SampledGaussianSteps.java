package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ParameterChecks;

/**
 * {@code steps} consecutive steps of the Poisson-subsampled Gaussian mechanism (DP-SGD): each
 * record is included with probability {@code samplingRate}, the clipped sum gets Gaussian noise of
 * stddev {@code noiseMultiplier} times the clipping norm.
 *
 * @param samplingRate q in (0, 1]; 1 means no subsampling
 * @param noiseMultiplier sigma &gt; 0
 * @param steps number of steps, &gt;= 1
 */
public record SampledGaussianSteps(double samplingRate, double noiseMultiplier, long steps) {
  public SampledGaussianSteps {
    ParameterChecks.samplingRate(samplingRate);
    ParameterChecks.noiseMultiplier(noiseMultiplier);
    ParameterChecks.steps(steps);
  }
}
