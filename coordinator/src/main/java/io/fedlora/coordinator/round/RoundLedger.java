package io.fedlora.coordinator.round;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.BlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.strategy.Strategy;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.CancelTask;
import io.fedlora.proto.v1.HeldOutMean;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.io.IOException;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's book of rounds: how each attempt ended (stored, its listeners and still-working nodes
 * told), and the job's progress as published (rounds completed, the latest adapter version).
 * Used by the run's loop thread only.
 */
final class RoundLedger {

    // The run's logger: a round's lines keep the name operators filter on.
    private static final Logger log = LoggerFactory.getLogger(JobRun.class);

    private final String jobId;
    private final JobConfig cfg;
    private final Store store;
    private final BlobStore blobs;
    private final CohortTransport transport;
    private final InstantSource clock;
    private final JobEvents events;
    /** The run's strategy: its state is stored with each version published, and restored from the latest. */
    private final Strategy strategy;
    /** The run's lock: a round's updates are read under it. */
    private final ReentrantLock lock;
    /** Ends the run's active round and marks the run cancelled, under the run's lock. */
    private final Runnable haltForCancel;

    private int completedRounds;
    private int latestVersion;
    private String latestSha;

    RoundLedger(JobRecord job, Store store, BlobStore blobs, CohortTransport transport, InstantSource clock,
            JobEvents events, Strategy strategy, ReentrantLock lock, Runnable haltForCancel) {
        this.jobId = job.jobId();
        this.cfg = job.config();
        this.store = store;
        this.blobs = blobs;
        this.transport = transport;
        this.clock = clock;
        this.events = events;
        this.strategy = strategy;
        this.lock = lock;
        this.haltForCancel = haltForCancel;
        this.completedRounds = job.completedRounds();
        this.latestVersion = job.latestVersion();
        this.latestSha = job.latestSha256();
    }

    int completedRounds() {
        return completedRounds;
    }

    int latestVersion() {
        return latestVersion;
    }

    String latestSha() {
        return latestSha;
    }

    FlatAdapter latestAdapter() throws IOException {
        return FlatAdapter.fromSafetensors(cfg.getAdapterLayout(), blobs.get(latestSha));
    }

    /** Hands the strategy the state stored with the latest version (none: its initial state). */
    void restoreStrategyState() {
        String stateSha = store.adapterVersion(jobId, latestVersion).map(AdapterVersion::strategyStateSha256)
                .orElse("");
        strategy.restoreState(stateSha.isEmpty() ? new byte[0] : blobs.get(stateSha));
    }

    /** Stores the aggregate as the job's next version; returns it, or null when the job was cancelled meanwhile. */
    FlatAdapter publish(ActiveRound r, RoundOutcome o, long t0, Consumer<RoundSummary.Builder> extra) {
        long publishStart = System.nanoTime();
        FlatAdapter next = new FlatAdapter(cfg.getAdapterLayout(), o.values());
        byte[] file = next.toSafetensors();
        String sha = blobs.put(file);
        byte[] state = strategy.state();
        String stateSha = state.length == 0 ? "" : blobs.put(state);
        double aggregateSeconds = (System.nanoTime() - t0) / 1e9;
        int version = latestVersion + 1;
        long endedMs = clock.millis();
        RoundSummary.Builder b = summary(r, RoundState.ROUND_STATE_COMPLETED)
                .clearContributingNodes().addAllContributingNodes(o.contributors())
                .setTotalExamples(o.examples())
                .setTrainLoss(o.meanLoss())
                .setMeanTrainSeconds(o.meanTrainSeconds())
                .setEndedUnixMs(endedMs)
                .setAggregateSeconds(aggregateSeconds)
                .setAdapterVersion(version)
                .setAdapterSha256(sha);
        o.contributors().stream().map(r.basePrecisions::get).filter(java.util.Objects::nonNull).distinct().sorted()
                .forEach(b::addBasePrecisions);
        if (o.eval().reported()) {
            b.setEval(HeldOutMean.newBuilder().setNodes(o.eval().clients()).setExactMatch(o.eval().exactMatch())
                    .setLoss(o.eval().loss()).setOfAdapterVersion(latestVersion));
        }
        extra.accept(b);
        RoundSummary s = b.build();
        FaultHolds.at(FaultHolds.PUBLISH, jobId, r.round);
        boolean published = store.completeRound(s, new AdapterVersion(jobId, version, sha, file.length, endedMs,
                stateSha));
        events.stageClosed(jobId, r.round, RoundObserver.PUBLISH, java.time.Duration.ofNanos(System.nanoTime() - publishStart), 0);
        if (!published) {
            // Cancelled while aggregating (perhaps before this loop was told). The blob stays: content-addressed,
            // an aggregate, named by no version, so never served.
            return abortCancelled(r, Set.of(), s.getSecureAggregation());
        }
        latestVersion = version;
        latestSha = sha;
        completedRounds++;
        log.info("job {} round {} completed: {} contributors, {} examples, loss {}{}, version {} published ({} s to aggregate)",
                jobId, r.round, o.contributors().size(), o.examples(), Double.isNaN(s.getTrainLoss())
                        ? "not reported (client-level DP)" : String.format("%.4f", s.getTrainLoss()),
                s.hasEval() ? String.format(", held-out exact match %.1f%% of version %d (%d nodes)",
                        100 * s.getEval().getExactMatch(), s.getEval().getOfAdapterVersion(), s.getEval().getNodes()) : "",
                version, String.format("%.3f", aggregateSeconds));
        events.roundEnded(s);
        return next;
    }

    /** The summary of {@code r} so far, in {@code state}. */
    RoundSummary.Builder summary(ActiveRound r, RoundState state) {
        RoundSummary.Builder b = RoundSummary.newBuilder()
                .setJobId(jobId)
                .setRound(r.round)
                .setState(state)
                .addAllSelectedNodes(r.selected)
                .setStartedUnixMs(r.startedMs)
                .addAllStages(r.stages.timings());
        lock.lock();
        try {
            b.addAllContributingNodes(r.updates.keySet());
        } finally {
            lock.unlock();
        }
        return b;
    }

    /**
     * The job was cancelled mid-round: the round is recorded as aborted, nothing of it is published,
     * and {@code working} (nodes that may still be training or in a SecAgg stage) are told it is over.
     */
    FlatAdapter abortCancelled(ActiveRound r, Set<String> working, boolean secure) {
        haltForCancel.run();
        String reason = "job " + store.job(jobId).map(JobRecord::failureReason).filter(f -> !f.isEmpty())
                .orElse("cancelled");
        RoundSummary s = summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(clock.millis())
                .setSecureAggregation(secure).setAbortReason(reason).build();
        store.endRound(s);
        cancel(working, r.round, "job " + jobId + " was cancelled");
        log.warn("job {} round {} aborted: {}", jobId, r.round, reason);
        events.roundEnded(s);
        return null;
    }

    /** Tells {@code nodes} that their work for {@code round} is over. */
    void cancel(Set<String> nodes, int round, String reason) {
        AgentEvent c = AgentEvent.newBuilder()
                .setCancel(CancelTask.newBuilder().setJobId(jobId).setRound(round).setReason(reason)).build();
        for (String id : nodes) {
            transport.send(id, c);
        }
    }
}
