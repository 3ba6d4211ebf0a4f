package io.fedlora.client.agent;

import io.fedlora.client.privacy.BudgetExceededException;
import io.fedlora.client.privacy.PrivacyLedger;
import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.crypto.privacy.DistributedDiscreteGaussianParameters;
import io.fedlora.crypto.privacy.SampledGaussianSteps;
import io.fedlora.rounds.SecureRoundSetup;
import io.fedlora.proto.v1.DeclineReason;
import io.fedlora.proto.v1.DpSgdConfig;
import io.fedlora.proto.v1.TrainTask;
import java.io.IOException;
import java.util.Map;

/**
 * The node's own privacy policy in front of every task: with a ledger, the node contributes only
 * under DP (record-level DP-SGD, client-level distributed DP, or both), and only while its budget
 * lasts. The cost is written to the ledger <em>before</em>
 * training, so a crash can only over-count.
 */
final class PrivacyGate {

    /** The task is refused, and why (sent to the coordinator; no secret material). */
    record Refusal(DeclineReason reason, String detail) {}

    /** The task may go ahead; the epsilon this node will have spent (job, overall), for reporting. */
    record Allowance(Map<String, Double> metrics) {}

    private final PrivacyLedger ledger;

    PrivacyGate(PrivacyLedger ledger) {
        this.ledger = ledger;
    }

    /** Records the task's cost and allows it, or refuses it. Exactly one of the two results is non-null. */
    Object admit(TrainTask t) throws IOException {
        if (ledger == null) {
            return new Allowance(Map.of());
        }
        boolean clientLevel = t.hasSecagg() && t.getSecagg().hasDistributedDp();
        if (!t.getTraining().hasDp() && !clientLevel) {
            return new Refusal(DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                    "this node keeps a privacy ledger and contributes only under DP (DP-SGD or client-level"
                    + " distributed DP); the task has neither training.dp nor secagg.distributed_dp");
        }
        SampledGaussianSteps steps = null;
        DistributedDiscreteGaussianParameters noise = null;
        try {
            if (t.getTraining().hasDp()) {
                DpSgdConfig dp = t.getTraining().getDp();
                steps = new SampledGaussianSteps(dp.getSamplingRate(), dp.getNoiseMultiplier(),
                        t.getTraining().getLocalSteps());
            }
            if (clientLevel) {
                // Charged as if only the fewest clients whose sum may be unmasked took part: the least noise.
                int coordinates = UpdateCoordinates.of(t.getAdapterLayout(), t.getLora().getAggregationMode()).count();
                noise = SecureRoundSetup.distributedDp(t.getSecagg(), coordinates).accounting();
            }
        } catch (IllegalArgumentException e) {
            return new Refusal(DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                    (steps == null && t.getTraining().hasDp() ? "training.dp: " : "") + e.getMessage());
        }
        try {
            double job = ledger.recordRound(t.getJobId(), t.getRound(), steps, noise);
            return new Allowance(Map.of("dp_epsilon_job", job, "dp_epsilon_overall", ledger.spentEpsilonOverall()));
        } catch (BudgetExceededException e) {
            return new Refusal(DeclineReason.DECLINE_REASON_PRIVACY_BUDGET_EXHAUSTED, e.getMessage());
        }
    }
}
