package io.fedlora.client.train;

/**
 * Record-level DP-SGD settings (Abadi et al. 2016, with Poisson sampling).
 *
 * @param noiseMultiplier σ: the Gaussian noise added to the sum of clipped per-example gradients has
 *     standard deviation σ·C. Must be finite and &gt; 0: a private run never silently runs without noise.
 * @param clipNorm C: each example's gradient over all trainable tensors jointly is clipped to L2 norm C
 * @param samplingRate q in (0, 1]: each local example joins a step independently with probability q;
 *     the noisy sum is divided by the expected batch size q·N
 * @param maxPhysicalBatch the largest micro-batch run in one forward/backward (memory bound); a larger
 *     Poisson sample is processed in several micro-batches whose clipped sums are accumulated
 */
public record DpSgdConfig(double noiseMultiplier, double clipNorm, double samplingRate, int maxPhysicalBatch) {

    public DpSgdConfig {
        if (!(noiseMultiplier > 0) || !Double.isFinite(noiseMultiplier)) {
            throw new IllegalArgumentException("noiseMultiplier must be finite and > 0 (DP-SGD without noise is not private), got "
                    + noiseMultiplier);
        }
        if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
            throw new IllegalArgumentException("clipNorm must be finite and > 0, got " + clipNorm);
        }
        if (!(samplingRate > 0 && samplingRate <= 1)) {
            throw new IllegalArgumentException("samplingRate must be in (0, 1], got " + samplingRate);
        }
        if (maxPhysicalBatch <= 0) {
            throw new IllegalArgumentException("maxPhysicalBatch must be > 0, got " + maxPhysicalBatch);
        }
    }

    /** Standard deviation σ·C of the noise added to the clipped sum. */
    public double noiseStd() {
        return noiseMultiplier * clipNorm;
    }
}
