package io.fedlora.coordinator.round;

import io.fedlora.crypto.privacy.DistributedDiscreteGaussianAccountant;
import io.fedlora.crypto.privacy.DistributedDiscreteGaussianParameters;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.proto.v1.ClientDpPrivacy;
import io.fedlora.proto.v1.DistributedDpConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.util.List;

/**
 * What a job with client-level distributed DP has spent: every round whose sum was unmasked is
 * composed (RDP of the summed discrete Gaussians, KLS21), rounds that aborted before unmasking cost
 * nothing. Rebuilt from the stored round summaries after a restart. Used by the loop thread only.
 */
final class ClientDpBudget {

    private final double targetEpsilon;
    private final double delta;
    private DistributedDiscreteGaussianAccountant spent;

    private ClientDpBudget(double targetEpsilon, double delta, DistributedDiscreteGaussianAccountant spent) {
        this.targetEpsilon = targetEpsilon;
        this.delta = delta;
        this.spent = spent;
    }

    /** The budget of a job, with the completed rounds it already has charged. */
    static ClientDpBudget resume(DistributedDpConfig cfg, List<RoundSummary> rounds) {
        DistributedDiscreteGaussianAccountant a = DistributedDiscreteGaussianAccountant.create();
        for (RoundSummary r : rounds) {
            if (r.getState() == RoundState.ROUND_STATE_COMPLETED && r.hasClientDp()) {
                ClientDpPrivacy p = r.getClientDp();
                a = a.composeRounds(DistributedDiscreteGaussianParameters.of(p.getNoiseClients(),
                        p.getIntegerNoiseSigma(), p.getPaddedDimension(), p.getL2Sensitivity()), 1);
            }
        }
        return new ClientDpBudget(cfg.getTargetEpsilon(), cfg.getDelta(), a);
    }

    double targetEpsilon() {
        return targetEpsilon;
    }

    double delta() {
        return delta;
    }

    /** Cumulative epsilon so far. */
    double spentEpsilon() {
        return spent.epsilon(delta);
    }

    /** Cumulative epsilon if a round with {@code p} were charged now. */
    double epsilonAfter(DistributedDpParameters p) {
        return spent.composeRounds(p.accounting(), 1).epsilon(delta);
    }

    /** Charges a round whose sum has been unmasked; returns what to record in its summary. */
    ClientDpPrivacy charge(DistributedDpParameters p) {
        DistributedDiscreteGaussianParameters round = p.accounting();
        spent = spent.composeRounds(round, 1);
        return ClientDpPrivacy.newBuilder()
                .setRoundEpsilon(DistributedDiscreteGaussianAccountant.roundEpsilon(round, delta))
                .setCumulativeEpsilon(spent.epsilon(delta))
                .setDelta(delta)
                .setTargetEpsilon(targetEpsilon)
                .setNoiseClients(round.clients())
                .setClientNoiseStddev(p.clientNoiseStddev())
                .setIntegerNoiseSigma(round.sigma())
                .setPaddedDimension(round.dimension())
                .setL2Sensitivity(round.l2Sensitivity())
                .build();
    }
}
