package io.fedlora.coordinator.app;

import io.fedlora.crypto.privacy.RdpAccountant;
import io.fedlora.proto.v1.DpSgdConfig;
import io.fedlora.proto.v1.JobConfig;
import java.util.OptionalDouble;

/**
 * Record-level DP-SGD as the coordinator can account for it: the ε, at the job's δ, of a node that
 * trained in every one of the first {@code rounds} completed rounds (local_steps sampled Gaussian
 * steps each, composed by the same RDP accountant the nodes' ledgers use). It bounds what any node
 * spent on the job; a node selected less often spent less, and its own ledger says exactly.
 */
public final class RecordDpBound {

    private RecordDpBound() {}

    /** Empty when the job does not train with record-level DP-SGD. */
    public static OptionalDouble epsilon(JobConfig c, int rounds) {
        if (!c.getTraining().hasDp()) {
            return OptionalDouble.empty();
        }
        if (rounds <= 0) {
            return OptionalDouble.of(0);
        }
        DpSgdConfig dp = c.getTraining().getDp();
        long steps = (long) c.getTraining().getLocalSteps() * rounds;
        return OptionalDouble.of(RdpAccountant.create().compose(dp.getSamplingRate(), dp.getNoiseMultiplier(), steps)
                .epsilon(dp.getDelta()));
    }
}
