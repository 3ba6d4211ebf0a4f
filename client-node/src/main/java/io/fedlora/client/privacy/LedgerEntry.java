package io.fedlora.client.privacy;

import io.fedlora.crypto.privacy.DistributedDiscreteGaussianParameters;
import io.fedlora.crypto.privacy.SampledGaussianSteps;

/**
 * One release this client made (or is about to make): which job and round, and the mechanism with
 * its parameters. Exactly one of {@code steps} (DP-SGD) and {@code clientLevel} (distributed
 * discrete Gaussian) is set, as {@code mechanism} says.
 */
public record LedgerEntry(String jobId, int round, String mechanism, SampledGaussianSteps steps,
        DistributedDiscreteGaussianParameters clientLevel, long recordedUnixMs) {

    public static final String DP_SGD = "dp-sgd";
    public static final String DISTRIBUTED_DISCRETE_GAUSSIAN = "distributed-discrete-gaussian";

    public LedgerEntry {
        if (jobId == null || jobId.isEmpty()) {
            throw new IllegalArgumentException("ledger entry without a job id");
        }
        if (DP_SGD.equals(mechanism)) {
            if (steps == null || clientLevel != null) {
                throw new IllegalArgumentException("a dp-sgd entry has DP-SGD steps and nothing else");
            }
        } else if (DISTRIBUTED_DISCRETE_GAUSSIAN.equals(mechanism)) {
            if (clientLevel == null || steps != null) {
                throw new IllegalArgumentException("a distributed-discrete-gaussian entry has its round's noise"
                        + " parameters and nothing else");
            }
        } else {
            throw new IllegalArgumentException("unknown mechanism '" + mechanism + "'");
        }
    }

    public static LedgerEntry dpSgd(String jobId, int round, SampledGaussianSteps steps, long unixMs) {
        return new LedgerEntry(jobId, round, DP_SGD, steps, null, unixMs);
    }

    public static LedgerEntry clientLevel(String jobId, int round, DistributedDiscreteGaussianParameters p,
            long unixMs) {
        return new LedgerEntry(jobId, round, DISTRIBUTED_DISCRETE_GAUSSIAN, null, p, unixMs);
    }
}
