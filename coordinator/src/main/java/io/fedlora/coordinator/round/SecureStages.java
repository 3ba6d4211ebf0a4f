package io.fedlora.coordinator.round;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.round.RoundHost.Halt;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.strategy.Candidate;
import io.fedlora.coordinator.strategy.Strategy;
import com.google.protobuf.ByteString;
import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.secagg.RoundAbortedException;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.ClientDpPrivacy;
import io.fedlora.proto.v1.CohortMember;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.proto.v1.SecAggSetup;
import io.fedlora.rounds.SecureRoundSetup;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up a secure round ({@link #setUp}) and drives it through its four stages. Stages 1, 2 and 4
 * close when every node asked has answered or is gone, or at the stage timeout; stage 3 (masked
 * inputs) at the round deadline. Below the threshold the library aborts the round: it is recorded
 * with the reason and retried, never published with a wrong sum.
 */
final class SecureStages {

    // The run's logger: a round's lines keep the name operators filter on.
    private static final Logger log = LoggerFactory.getLogger(JobRun.class);
    /** Graph seeds: public, but must be unpredictable before the round so no one can pick neighbours. */
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** The log's stage names and their metric/span names. */
    private static final Map<String, String> STAGE_TAGS = Map.of("key advertisement", RoundObserver.ADVERTISE_KEYS,
            "key sharing", RoundObserver.SHARE_KEYS, "masked input", RoundObserver.MASKED_INPUT);

    private final RoundHost host;
    private final RoundLedger ledger;
    private final ActiveRound r;
    private final SecureRound s;
    private final Strategy strategy;
    /** Client-level DP spent by the job so far; null when the job has none. */
    private final ClientDpBudget clientDpBudget;
    private final String jobId;
    private final JobConfig cfg;
    private final InstantSource clock;
    private final ReentrantLock lock;
    private final Duration stageTimeout;

    SecureStages(RoundHost host, RoundLedger ledger, ActiveRound r, Strategy strategy,
            ClientDpBudget clientDpBudget) {
        this.host = host;
        this.ledger = ledger;
        this.r = r;
        this.s = r.secure;
        this.strategy = strategy;
        this.clientDpBudget = clientDpBudget;
        this.jobId = host.jobId();
        this.cfg = host.config();
        this.clock = host.clock();
        this.lock = host.lock();
        int t = cfg.getSecureAggregation().getStageTimeoutSeconds();
        this.stageTimeout = Duration.ofSeconds(t > 0 ? t : SecureRoundSetup.DEFAULT_STAGE_TIMEOUT_SECONDS);
    }

    /** The round's SecAgg+ setup: the cohort in selection order with its registered identity keys. */
    static SecureRound setUp(String jobId, JobConfig cfg, int round, List<Candidate> cohort,
            Map<String, NodeRecord> byId, ClientDpBudget clientDpBudget) {
        List<CohortMember> members = new ArrayList<>();
        for (Candidate c : cohort) {
            members.add(CohortMember.newBuilder().setNodeId(c.nodeId())
                    .setIdentityKey(ByteString.copyFrom(Bytes.fromHex(byId.get(c.nodeId()).identityKeyHex()).toByteArray()))
                    .build());
        }
        byte[] graphSeed = new byte[SecureRoundSetup.GRAPH_SEED_BYTES];
        RANDOM.nextBytes(graphSeed);
        SecAggSetup setup = SecureRoundSetup.create(cfg, members, graphSeed);
        SecureRound s = new SecureRound(jobId, round, setup, cfg);
        s.clientDp().ifPresent(p -> {
            // Calibration makes every round fit; this only guards against a change of cohort shape.
            double after = clientDpBudget.epsilonAfter(p);
            if (after > clientDpBudget.targetEpsilon() * (1 + 1e-9)) {
                throw new IllegalStateException(String.format("client-level DP: round %d would take the job to"
                        + " epsilon %.4f, above its target %.4f; stopping before any such sum is unmasked", round, after,
                        clientDpBudget.targetEpsilon()));
            }
        });
        return s;
    }

    /** Returns the published adapter, or null when the round was aborted. */
    FlatAdapter run(FlatAdapter global) {
        String abort = null;
        SecureRound.Result result = null;
        try {
            for (String stage : List.of("key advertisement", "key sharing", "masked input")) {
                long stageStart = System.nanoTime();
                Instant now = clock.instant();
                boolean maskedInput = stage.equals("masked input");
                Instant until = maskedInput ? r.deadline : earliest(now.plus(stageTimeout), r.deadline);
                if (!awaitStage(until, maskedInput ? this::enoughMaskedInputs : () -> false)) {
                    return stopped();
                }
                Map<String, byte[]> out;
                List<String> dropped;
                lock.lock();
                try {
                    dropped = s.unanswered();
                    int inputs = s.maskedInputs();
                    if (inputs >= 0 && inputs < cfg.getMinClients()) {
                        abort = String.format("only %d of %d selected nodes sent a masked input (min_clients %d)",
                                inputs, r.selected.size(), cfg.getMinClients());
                        r.stages.closedSince(STAGE_TAGS.get(stage), stageStart, dropped);
                        break;
                    }
                    out = s.advance();
                } finally {
                    lock.unlock();
                }
                r.stages.closedSince(STAGE_TAGS.get(stage), stageStart, dropped);
                log.info("job {} round {}: secagg {} stage closed; {} node(s) go on", jobId, r.round, stage, out.size());
                push(out);
            }
            if (abort == null) {
                long unmaskStart = System.nanoTime();
                if (!awaitStage(clock.instant().plus(stageTimeout), () -> false)) {
                    return stopped();
                }
                long t0 = System.nanoTime();
                List<String> dropped = List.of();
                lock.lock();
                try {
                    dropped = s.unanswered();
                    result = s.finish();
                } finally {
                    lock.unlock();
                    // Closed whether or not the sum could be rebuilt: an abort here is the unmask stage's.
                    r.stages.closedSince(RoundObserver.UNMASK, unmaskStart, dropped);
                }
                return publishSecure(result, global, t0);
            }
        } catch (RoundAbortedException e) {
            abort = e.getMessage();
        }
        return aborted(abort);
    }

    private Instant earliest(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /**
     * Under the lock, in the masked-input stage: enough masked inputs are in to close it before
     * everyone has answered. With over-selection, once clients_per_round are in; with a straggler
     * cut-off, once it has passed with min_clients in. Never below the SecAgg+ threshold t: the
     * ones that did not send become dropouts, whose pair masks the survivors' shares remove.
     */
    private boolean enoughMaskedInputs() {
        int in = s.maskedInputs();
        if (in < Math.max(cfg.getMinClients(), s.setup().getThreshold())) {
            return false;
        }
        var sch = cfg.getScheduling();
        if (sch.getOverSelection() > 0 && in >= cfg.getClientsPerRound()) {
            return true;
        }
        return sch.getStragglerCutoffSeconds() > 0
                && clock.millis() - r.startedMs >= 1000L * sch.getStragglerCutoffSeconds();
    }

    /**
     * Waits until nobody asked in this stage is pending, {@code closeEarly} holds, or {@code until};
     * false when halted.
     */
    private boolean awaitStage(Instant until, java.util.function.BooleanSupplier closeEarly) {
        java.util.function.BooleanSupplier done = () -> s.pending(r.dropped) == 0 || closeEarly.getAsBoolean();
        while (clock.instant().isBefore(until)) {
            if (!host.awaitUntil(done, until)) {
                return false;
            }
            lock.lock();
            try {
                if (done.getAsBoolean()) {
                    return true;
                }
            } finally {
                lock.unlock();
            }
        }
        return !host.isHalted();
    }

    private void push(Map<String, byte[]> out) {
        out.forEach((id, wire) -> {
            AgentEvent e = AgentEvent.newBuilder().setSecagg(SecAggEnvelope.newBuilder().setNodeId(id)
                    .setJobId(jobId).setRound(r.round).setMessage(ByteString.copyFrom(wire))).build();
            host.sendOrDrop(id, e);
        });
    }

    private FlatAdapter publishSecure(SecureRound.Result res, FlatAdapter global, long t0) {
        endRound();
        // The sum is unmasked: under client-level DP the round is spent whatever happens next.
        ClientDpPrivacy privacy = s.clientDp().map(p -> clientDpBudget.charge(p)).orElse(null);
        if (privacy != null) {
            log.info("job {} round {}: client-level DP: round epsilon {}, cumulative epsilon {} of {} (delta {}),"
                    + " noise calibrated for sums of at least {} clients, sigma {} per client", jobId, r.round,
                    String.format("%.3f", privacy.getRoundEpsilon()), String.format("%.3f", privacy.getCumulativeEpsilon()),
                    String.format("%.3f", privacy.getTargetEpsilon()), privacy.getDelta(), privacy.getNoiseClients(),
                    String.format("%.4g", privacy.getClientNoiseStddev()));
        }
        FaultHolds.at(FaultHolds.AGGREGATE, jobId, r.round);
        float[] values = strategy.applyMean(global, res.aggregate().meanUpdate());
        r.stages.closedSince(RoundObserver.AGGREGATE, t0, List.of());
        Set<String> missing = new LinkedHashSet<>(r.selected);
        missing.removeAll(res.contributors());
        ledger.cancel(missing, r.round, "round " + r.round + " has ended");
        // Under client-level DP nobody sends an example count: every client weighs 1.
        return ledger.publish(r, new RoundOutcome(values, res.contributors(), privacy != null ? 0
                : res.aggregate().totalWeight(), res.aggregate().meanLoss(), res.meanTrainSeconds(),
                res.aggregate().eval()), t0, b -> {
                    b.setSecureAggregation(true)
                            .setAggregateSumSha256(res.sumSha256())
                            .setSecaggNeighbours(s.setup().getNeighbours())
                            .setSecaggThreshold(s.setup().getThreshold());
                    if (privacy != null) {
                        b.setClientDp(privacy);
                    }
                });
    }

    private FlatAdapter aborted(String reason) {
        endRound();
        RoundSummary sum = ledger.summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(clock.millis())
                .setSecureAggregation(true).setAbortReason("secure aggregation: " + reason).build();
        host.store().endRound(sum);
        ledger.cancel(r.selected, r.round, "round " + r.round + " was aborted");
        log.warn("job {} round {} aborted: secure aggregation: {}; retrying", jobId, r.round, reason);
        host.events().roundEnded(sum);
        return null;
    }

    private FlatAdapter stopped() {
        endRound();
        if (host.currentHalt() == Halt.CANCEL) {
            // Every selected node may hold stage state for this round: all are told to drop it.
            return ledger.abortCancelled(r, r.selected, true);
        }
        RoundSummary sum = ledger.summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(clock.millis())
                .setAbortReason("coordinator shutting down").build();
        host.store().endRound(sum);
        host.events().roundInterrupted(sum);
        return null;
    }

    private void endRound() {
        lock.lock();
        try {
            host.endRound();
        } finally {
            lock.unlock();
        }
    }
}
