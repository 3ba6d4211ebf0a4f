package io.fedlora.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fedlora.coordinator.CoordinatorException;
import io.fedlora.crypto.secagg.RoundAbortedException;
import io.fedlora.crypto.secagg.ServerStage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's side of a secure round, driven by a transcript of what cohort members send:
 * stage messages (SendSecAgg) and masked inputs (SubmitUpdate), with the stages closed in between
 * as the round loop closes them. Every call is accepted or refused with one of the typed
 * exceptions that map to INVALID_ARGUMENT, FAILED_PRECONDITION or ALREADY_EXISTS, and leaves the
 * stage alone; a stage closes or the round aborts with {@link RoundAbortedException}; a finished
 * round decodes to finite numbers. Seeds: honest rounds recorded by {@link SecureRoundTranscript}.
 */
class SecureRoundFuzzTest {

    private static final String[] SEEDS = {"honest", "one_drops_after_sharing"};

    /**
     * Input: steps of (op, member) then, for op 0 (SendSecAgg) and 1 (masked input), a u16 length and
     * that many bytes; op 2 closes the stage.
     */
    @FuzzTest
    void transcript(byte[] input) {
        replay(SecureRoundTranscript.newRound(), input);
    }

    static void replay(SecureRound round, byte[] input) {
        ByteBuffer in = ByteBuffer.wrap(input);
        while (in.remaining() >= 2) {
            int op = in.get() & 0xff;
            String node = SecureRoundTranscript.member(in.get() & 0xff);
            switch (op % 3) {
                case SecureRoundTranscript.SEND -> call(round, () -> round.receive(node, bytes(in)));
                case SecureRoundTranscript.MASKED_INPUT -> call(round, () -> round.receiveMaskedInput(node, bytes(in), 0.5));
                default -> {
                    if (!closeStage(round)) {
                        return;
                    }
                }
            }
        }
    }

    private static void call(SecureRound round, Runnable call) {
        ServerStage before = round.stage();
        try {
            call.run();
        } catch (CoordinatorException.InvalidArgument | CoordinatorException.FailedPrecondition
                | CoordinatorException.AlreadyExists refused) {
            // the typed refusals the service maps to statuses
        }
        assertEquals(before, round.stage(), "a node's call changed the stage");
    }

    /** Closes the current stage as the round loop does; false once the round is over. */
    static boolean closeStage(SecureRound round) {
        try {
            if (round.stage() == ServerStage.COLLECTING_UNMASK_SHARES) {
                SecureRound.Result r = round.finish();
                for (float v : r.aggregate().meanUpdate()) {
                    assertTrue(Float.isFinite(v), "a finished round decoded to a non-finite mean");
                }
                assertTrue(Double.isFinite(r.aggregate().meanLoss()));
                return false;
            }
            if (round.stage().accepts() == null) {
                return false;
            }
            round.advance();
            return true;
        } catch (RoundAbortedException aborted) {
            return false;
        }
    }

    private static byte[] bytes(ByteBuffer in) {
        int n = in.remaining() >= 2 ? Math.min(in.getShort() & 0xffff, in.remaining()) : 0;
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** The seeds go stale if the setup, keys or wire format change; regenerate them with {@link #main}. */
    @Test
    void seedsReplayToAFinishedRound() throws IOException {
        for (String seed : SEEDS) {
            try (InputStream s = getClass().getResourceAsStream("SecureRoundFuzzTestInputs/transcript/" + seed)) {
                SecureRound round = SecureRoundTranscript.newRound();
                replay(round, s.readAllBytes());
                assertEquals(ServerStage.COMPLETED, round.stage(), seed);
            }
        }
    }

    /** Writes the seeds: {@code SEEDS[i]} is an honest round in which member i - 1 goes quiet after stage 2. */
    public static void main(String[] args) throws IOException {
        java.nio.file.Path dir = java.nio.file.Path.of(args[0]);
        java.nio.file.Files.createDirectories(dir);
        for (int i = 0; i < SEEDS.length; i++) {
            java.nio.file.Files.write(dir.resolve(SEEDS[i]), SecureRoundTranscript.record(i - 1));
        }
    }
}
