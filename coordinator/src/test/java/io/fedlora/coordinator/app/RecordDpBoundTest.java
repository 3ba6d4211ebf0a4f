package io.fedlora.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.privacy.RdpAccountant;
import io.fedlora.proto.v1.DpSgdConfig;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.TrainingConfig;
import org.junit.jupiter.api.Test;

class RecordDpBoundTest {

    private static JobConfig job(boolean dp) {
        TrainingConfig.Builder t = TrainingConfig.newBuilder().setLocalSteps(40);
        if (dp) {
            t.setDp(DpSgdConfig.newBuilder().setNoiseMultiplier(1.1).setClipNorm(1).setSamplingRate(0.05).setDelta(1e-5));
        }
        return JobConfig.newBuilder().setTraining(t).build();
    }

    @Test
    void aNodeInEveryRoundSpendsTheComposedStepsOfAllRounds() {
        double three = RecordDpBound.epsilon(job(true), 3).orElseThrow();
        // What a node's own ledger charges for 3 rounds of 40 steps: the same accountant, the same steps.
        assertEquals(RdpAccountant.create().compose(0.05, 1.1, 120).epsilon(1e-5), three, 1e-12);
        assertTrue(RecordDpBound.epsilon(job(true), 4).orElseThrow() > three, "grows with the rounds");
        assertEquals(0.0, RecordDpBound.epsilon(job(true), 0).orElseThrow());
    }

    @Test
    void aJobWithoutDpSgdHasNoBound() {
        assertTrue(RecordDpBound.epsilon(job(false), 3).isEmpty());
    }
}
