package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedlora.crypto.secagg.RoundAbortedException;
import io.fedlora.crypto.secagg.ServerStage;
import org.junit.jupiter.api.Test;

class SecureRoundTest {

    /**
     * Found by fuzzing: a member masked a vector whose weight made the total non-positive, and the
     * decoder's IllegalArgumentException failed the whole job. Masks hide who lied, so the round
     * aborts (and is retried) instead.
     */
    @Test
    void aSumThatDoesNotDecodeAbortsTheRoundNotTheJob() {
        byte[] transcript = SecureRoundTranscript.record(-1, 2);
        // Everything but the final close: the round waits in its last stage.
        byte[] stages = java.util.Arrays.copyOf(transcript, transcript.length - 2);
        SecureRound round = SecureRoundTranscript.newRound();
        SecureRoundFuzzTest.replay(round, stages);
        assertEquals(ServerStage.COLLECTING_UNMASK_SHARES, round.stage());
        RoundAbortedException e = assertThrows(RoundAbortedException.class, round::finish);
        assertEquals(RoundAbortedException.Reason.INVALID_SUM, e.reason());
    }
}
