package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.privacy.DistributedDpCalibration;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.proto.v1.ClientDpPrivacy;
import io.fedlora.proto.v1.DistributedDpConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientDpBudgetTest {

    private static final DistributedDpConfig CFG =
            DistributedDpConfig.newBuilder().setTargetEpsilon(8).setDelta(1e-5).setClipNorm(1).build();

    @Test
    void roundsComposeToTheTargetAndAreRebuiltFromStoredSummaries() {
        DistributedDpParameters p = DistributedDpCalibration.calibrate(
                new DistributedDpCalibration.Target(8, 1e-5, 3), 1000, 1.0, 4, 4, 32);
        ClientDpBudget budget = ClientDpBudget.resume(CFG, List.of());
        assertEquals(0, budget.spentEpsilon());
        List<RoundSummary> stored = new ArrayList<>();
        double last = 0;
        for (int r = 1; r <= 3; r++) {
            ClientDpPrivacy charged = budget.charge(p);
            assertTrue(charged.getCumulativeEpsilon() > last, "cumulative grows");
            assertTrue(charged.getRoundEpsilon() > 0 && charged.getRoundEpsilon() <= charged.getCumulativeEpsilon());
            assertEquals(4, charged.getNoiseClients());
            last = charged.getCumulativeEpsilon();
            stored.add(RoundSummary.newBuilder().setRound(r).setState(RoundState.ROUND_STATE_COMPLETED)
                    .setClientDp(charged).build());
            // An aborted attempt revealed nothing and costs nothing.
            stored.add(RoundSummary.newBuilder().setRound(100 + r).setState(RoundState.ROUND_STATE_ABORTED).build());
        }
        assertTrue(last <= 8 && last > 7.99, "three calibrated rounds spend the target: " + last);
        assertTrue(budget.epsilonAfter(p) > 8, "a fourth would overspend");
        ClientDpBudget resumed = ClientDpBudget.resume(CFG, stored);
        assertEquals(budget.spentEpsilon(), resumed.spentEpsilon(), 1e-12, "rebuilt after a restart");
    }
}
