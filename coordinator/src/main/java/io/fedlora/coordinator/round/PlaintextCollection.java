package io.fedlora.coordinator.round;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.round.RoundHost.Halt;
import io.fedlora.coordinator.strategy.ClientUpdate;
import io.fedlora.coordinator.strategy.Strategy;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a plaintext round (--insecure-plaintext only): collects updates until nobody is pending,
 * too few can still answer, or the deadline passes, then aggregates and publishes, or aborts.
 */
final class PlaintextCollection {

    // The run's logger: a round's lines keep the name operators filter on.
    private static final Logger log = LoggerFactory.getLogger(JobRun.class);

    private final RoundHost host;
    private final RoundLedger ledger;
    private final ActiveRound r;
    private final Strategy strategy;
    private final String jobId;
    private final JobConfig cfg;
    private final InstantSource clock;
    private final ReentrantLock lock;

    PlaintextCollection(RoundHost host, RoundLedger ledger, ActiveRound r, Strategy strategy) {
        this.host = host;
        this.ledger = ledger;
        this.r = r;
        this.strategy = strategy;
        this.jobId = host.jobId();
        this.cfg = host.config();
        this.clock = host.clock();
        this.lock = host.lock();
    }

    /**
     * Under the lock: nobody is pending, too few can still answer, enough answered for an
     * over-selected cohort, or the straggler cut-off passed with min_clients in.
     */
    private boolean collected() {
        int in = r.updates.size();
        if (r.pending() == 0 || in + r.pending() < cfg.getMinClients()) {
            return true;
        }
        var s = cfg.getScheduling();
        if (s.getOverSelection() > 0 && in >= cfg.getClientsPerRound()) {
            return true;
        }
        return s.getStragglerCutoffSeconds() > 0 && in >= cfg.getMinClients()
                && clock.millis() - r.startedMs >= 1000L * s.getStragglerCutoffSeconds();
    }

    /** Returns the published adapter, or null when the round was aborted. */
    FlatAdapter run(FlatAdapter global) {
        long collectStart = System.nanoTime();
        // Collect until nobody is pending, too few can still answer, or the deadline passes.
        String endReason = null;
        while (true) {
            lock.lock();
            boolean finished;
            try {
                finished = collected();
            } finally {
                lock.unlock();
            }
            if (finished) {
                break;
            }
            if (!clock.instant().isBefore(r.deadline)) {
                endReason = "deadline";
                break;
            }
            if (!host.awaitUntil(this::collected, r.deadline)) {
                break;
            }
        }
        List<ClientUpdate> updates;
        Set<String> dropped;
        Set<String> missing = new LinkedHashSet<>();
        Halt h;
        lock.lock();
        try {
            h = host.endRound();
            updates = List.copyOf(r.updates.values());
            dropped = Set.copyOf(r.dropped);
            for (String id : r.selected) {
                if (!r.updates.containsKey(id)) {
                    missing.add(id);
                }
            }
        } finally {
            lock.unlock();
        }
        long endedMs = clock.millis();
        r.stages.closedSince(RoundObserver.COLLECT, collectStart, missing);
        if (h == Halt.SHUTDOWN) {
            RoundSummary s = ledger.summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(endedMs)
                    .setAbortReason("coordinator shutting down").build();
            host.store().endRound(s);
            host.events().roundInterrupted(s);
            return null;
        }
        if (h == Halt.CANCEL) {
            return ledger.abortCancelled(r, missing, false);
        }
        ledger.cancel(missing, r.round, "round " + r.round + " has ended");
        if (updates.size() < cfg.getMinClients()) {
            String reason = String.format("only %d of %d selected nodes contributed (min_clients %d; %d dropped out%s)",
                    updates.size(), r.selected.size(), cfg.getMinClients(), dropped.size(),
                    "deadline".equals(endReason) ? "; deadline passed" : "");
            RoundSummary s = ledger.summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(endedMs)
                    .setAbortReason(reason).build();
            host.store().endRound(s);
            log.warn("job {} round {} aborted: {}; retrying", jobId, r.round, reason);
            host.events().roundEnded(s);
            return null;
        }
        return publish(updates, global);
    }

    private FlatAdapter publish(List<ClientUpdate> updates, FlatAdapter global) {
        long t0 = System.nanoTime();
        FaultHolds.at(FaultHolds.AGGREGATE, jobId, r.round);
        float[] values = strategy.aggregate(global, updates);
        r.stages.closedSince(RoundObserver.AGGREGATE, t0, List.of());
        long examples = 0;
        double lossSum = 0;
        double secondsSum = 0;
        List<String> contributors = new ArrayList<>();
        List<io.fedlora.crypto.encoding.EvalScore> scores = new ArrayList<>();
        for (ClientUpdate u : updates) {
            scores.add(u.eval());
            examples += u.numExamples();
            lossSum += u.numExamples() * u.trainLoss();
            secondsSum += u.trainSeconds();
            contributors.add(u.nodeId());
        }
        return ledger.publish(r, new RoundOutcome(values, contributors, examples, lossSum / examples,
                secondsSum / updates.size(), io.fedlora.crypto.encoding.EvalMean.of(scores)), t0, b -> { });
    }
}
