package io.fedlora.client.agent;

import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.encoding.SecureVectorFormat;
import io.fedlora.crypto.secagg.ClientId;
import io.fedlora.crypto.secagg.ClientMessage;
import io.fedlora.crypto.secagg.ClientStage;
import io.fedlora.crypto.secagg.RoundConfig;
import io.fedlora.crypto.secagg.SecAggClient;
import io.fedlora.crypto.secagg.ServerMessage;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.rounds.SecureRoundSetup;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * This node's part in one secure round: the crypto library's {@link SecAggClient} plus the
 * encoding. Stage messages arrive on the agent's SecAgg thread while training runs on its worker;
 * {@link #mask} waits until the shares have been exchanged. Every key, seed and share stays inside
 * the library object, which wipes them when the round ends.
 */
final class SecureSession {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SecureSession.class);

    /** Thrown when the task's SecAgg setup fails this node's checks; the node declines the round. */
    static final class UnacceptableSetup extends Exception {
        UnacceptableSetup(String message) {
            super(message, null, false, false);
        }
    }

    /** The masked upload and, for local test recording only, the encoded vector before masking. */
    record Masked(byte[] wire, int[] encoded) {}

    private final SecAggClient client;
    private final SecureVectorFormat format;
    private final SecureRandom random;
    private final CountDownLatch sharesExchanged = new CountDownLatch(1);
    private volatile boolean ended;

    private SecureSession(SecAggClient client, SecureVectorFormat format, SecureRandom random) {
        this.client = client;
        this.format = format;
        this.random = random;
    }

    /**
     * Checks the task's setup against this node's policy and the job's stated parameters; with
     * client-level DP, that the noise meets the stated target and that no sum smaller than the
     * noise was calibrated for can be unmasked (the SecAgg client enforces it at unmasking).
     */
    static SecureSession open(TrainTask t, String nodeId, Ed25519PrivateKey identity, int minCohort, int threads,
            SecureRandom random) throws UnacceptableSetup {
        try {
            RoundConfig config = SecureRoundSetup.roundConfig(t.getJobId(), t.getRound(), t.getSecagg());
            if (config.cohort().size() < minCohort) {
                throw new UnacceptableSetup("secagg.cohort: " + config.cohort().size() + " clients; this node"
                        + " contributes only to cohorts of at least " + minCohort);
            }
            SecureVectorFormat format = SecureRoundSetup.format(t.getJobId(), t.getRound(), t.getSecagg(),
                    t.getAdapterLayout(), t.getLora().getAggregationMode());
            if (t.getSecagg().hasDistributedDp()) {
                var dp = t.getSecagg().getDistributedDp();
                LOG.info("client-level DP checked: noise sigma {} per value on {} values clipped to {}, for sums of at"
                        + " least {} clients; epsilon <= {} at delta {} over the job's {} rounds",
                        String.format("%.4g", dp.getClientNoiseStddev()), dp.getDimension(), dp.getClipNorm(),
                        dp.getNoiseClients(), dp.getTargetEpsilon(), dp.getDelta(), dp.getRounds());
            }
            SecAggClient client = SecAggClient.create(config, ClientId.of(nodeId), identity, random).threads(threads);
            return new SecureSession(client, format, random);
        } catch (RuntimeException e) {
            throw new UnacceptableSetup(e.getMessage());
        }
    }

    /** Stage 1: the signed key advertisement, in wire form. */
    synchronized byte[] advertise() {
        return client.advertiseKeys().toBytes();
    }

    /** Stages 2 and 4: handles a coordinator message; returns the reply to send, if any. */
    synchronized Optional<byte[]> onServerMessage(byte[] wire) {
        Optional<ClientMessage> reply = client.handle(ServerMessage.parse(wire));
        if (client.stage() == ClientStage.READY_TO_MASK) {
            sharesExchanged.countDown();
        }
        if (client.stage() == ClientStage.DONE || client.stage() == ClientStage.ABORTED) {
            ended = true;
        }
        return reply.map(ClientMessage::toBytes);
    }

    /**
     * Stage 3: encodes and masks the update once the shares are in, waiting at most {@code waitMs}.
     * Empty when the exchange did not finish in time or the round ended.
     */
    Optional<Masked> mask(float[] update, int weight, double loss, io.fedlora.crypto.encoding.EvalScore eval, long waitMs)
            throws InterruptedException {
        if (!sharesExchanged.await(Math.max(0, waitMs), TimeUnit.MILLISECONDS)) {
            return Optional.empty();
        }
        synchronized (this) {
            if (ended || client.stage() != ClientStage.READY_TO_MASK) {
                return Optional.empty();
            }
            int clamped = Math.max(1, Math.min(weight, format.maxWeight()));
            double norm = l2(update);
            if (norm > format.clipNorm()) {
                // Worth an operator's attention: a clip that bites changes what the round averages.
                LOG.info("update L2 norm {} exceeds the round's clip norm {}: scaled down before encoding",
                        String.format("%.3f", norm), format.clipNorm());
            }
            int[] encoded = format.encode(update, clamped, loss, eval, random);
            byte[] wire = client.maskInput(encoded).toBytes();
            return Optional.of(new Masked(wire, encoded));
        }
    }

    private static double l2(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    ClientStage stage() {
        return client.stage();
    }

    /** Ends the session early (cancelled round); wakes a waiting {@link #mask}. */
    void end() {
        ended = true;
        sharesExchanged.countDown();
    }

    static void wipe(int[] encoded) {
        Arrays.fill(encoded, 0);
    }
}
