package io.fedlora.client.privacy;

import io.fedlora.crypto.privacy.SampledGaussianSteps;

/** One release this client made (or is about to make): which job and round, with which DP-SGD parameters. */
public record LedgerEntry(String jobId, int round, String mechanism, SampledGaussianSteps steps, long recordedUnixMs) {

    public static final String DP_SGD = "dp-sgd";

    public LedgerEntry {
        if (jobId == null || jobId.isEmpty()) {
            throw new IllegalArgumentException("ledger entry without a job id");
        }
        if (!DP_SGD.equals(mechanism)) {
            throw new IllegalArgumentException("unknown mechanism '" + mechanism + "'");
        }
    }
}
