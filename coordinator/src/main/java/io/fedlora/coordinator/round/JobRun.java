package io.fedlora.coordinator.round;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.coordinator.CoordinatorException.AlreadyExists;
import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.BlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.strategy.Candidate;
import io.fedlora.coordinator.strategy.ClientUpdate;
import io.fedlora.coordinator.strategy.Strategy;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.CancelTask;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateHeader;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The round loop of one running job, on its own thread: wait for enough eligible nodes, select a
 * cohort, push the task, collect updates until everyone answered, dropped out, or the deadline
 * passed, then aggregate and publish (or abort and retry). Every attempt gets a fresh round
 * number, so a late update for an aborted attempt can never be mistaken for the retry's.
 */
final class JobRun {

    private static final Logger log = LoggerFactory.getLogger(JobRun.class);

    /** The round being collected. Guarded by the run's lock. */
    private static final class ActiveRound {
        final int round;
        final TrainTask task;
        final Set<String> selected;
        final Map<String, ClientUpdate> updates = new LinkedHashMap<>();
        final Set<String> dropped = new LinkedHashSet<>();
        final Instant deadline;
        final long startedMs;

        ActiveRound(int round, TrainTask task, Set<String> selected, Instant deadline, long startedMs) {
            this.round = round;
            this.task = task;
            this.selected = selected;
            this.deadline = deadline;
            this.startedMs = startedMs;
        }

        /** Selected nodes still connected that have not submitted. */
        int pending() {
            return selected.size() - updates.size() - dropped.size();
        }
    }

    /** Nodes that declined this job for a reason that will not change; never selected again. */
    private final Set<String> excluded = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final String jobId;
    private final JobConfig cfg;
    private final long elementCount;
    private final Store store;
    private final BlobStore blobs;
    private final CohortTransport transport;
    private final Strategy strategy;
    private final InstantSource clock;
    private final RoundTiming timing;
    private final JobEvents events;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private ActiveRound active;
    private boolean stopping;
    private final Thread thread;

    // Owned by the loop thread.
    private int completedRounds;
    private int latestVersion;
    private String latestSha;

    JobRun(JobRecord job, Store store, BlobStore blobs, CohortTransport transport, Strategy strategy,
            InstantSource clock, RoundTiming timing, JobEvents events) {
        this.jobId = job.jobId();
        this.cfg = job.config();
        this.elementCount = LoraLayouts.totalElements(cfg.getAdapterLayout());
        this.store = store;
        this.blobs = blobs;
        this.transport = transport;
        this.strategy = strategy;
        this.clock = clock;
        this.timing = timing;
        this.events = events;
        this.completedRounds = job.completedRounds();
        this.latestVersion = job.latestVersion();
        this.latestSha = job.latestSha256();
        this.thread = new Thread(this::loop, "round-loop-" + jobId);
        this.thread.setDaemon(true);
    }

    String jobId() {
        return jobId;
    }

    JobConfig config() {
        return cfg;
    }

    long elementCount() {
        return elementCount;
    }

    void start() {
        thread.start();
    }

    /** Asks the loop to stop (the in-flight round, if any, is recorded as aborted) and waits for it. */
    boolean stop(Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            stopping = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        thread.join(Math.max(1, timeout.toMillis()));
        return !thread.isAlive();
    }

    // ---- calls from the transport and the services ----

    void onConnected(String nodeId) {
        TrainTask resend = null;
        lock.lock();
        try {
            ActiveRound r = active;
            if (r != null && r.selected.contains(nodeId) && !r.updates.containsKey(nodeId)) {
                // A selected node came back mid-round: it may still make the deadline.
                r.dropped.remove(nodeId);
                resend = r.task;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (resend != null && !transport.send(nodeId, AgentEvent.newBuilder().setTrain(resend).build())) {
            onDisconnected(nodeId);
        }
    }

    /**
     * A node declined a task. It counts as dropped from that round (if it was selected and has not
     * submitted); a lasting reason also keeps it out of this job's later cohorts.
     */
    void decline(String nodeId, int round, io.fedlora.proto.v1.DeclineReason reason, String detail) {
        boolean lasting = reason == io.fedlora.proto.v1.DeclineReason.DECLINE_REASON_PRIVACY_BUDGET_EXHAUSTED
                || reason == io.fedlora.proto.v1.DeclineReason.DECLINE_REASON_BASE_MODEL_MISMATCH;
        lock.lock();
        try {
            if (lasting) {
                excluded.add(nodeId);
            }
            ActiveRound r = active;
            if (r != null && r.round == round && r.selected.contains(nodeId) && !r.updates.containsKey(nodeId)) {
                r.dropped.add(nodeId);
            }
            log.info("job {} round {}: node {} declined ({}{}){}", jobId, round, nodeId, reason, detail.isEmpty()
                    ? "" : ": " + detail, lasting ? "; it will not be selected again for this job" : "");
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void onDisconnected(String nodeId) {
        lock.lock();
        try {
            ActiveRound r = active;
            if (r != null && r.selected.contains(nodeId) && !r.updates.containsKey(nodeId)) {
                r.dropped.add(nodeId);
                log.info("job {} round {}: selected node {} dropped out", jobId, r.round, nodeId);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Checks the header against the round state (fields were checked by the caller). */
    void checkRoundState(UpdateHeader h) {
        lock.lock();
        try {
            roundStateOrThrow(h);
        } finally {
            lock.unlock();
        }
    }

    private ActiveRound roundStateOrThrow(UpdateHeader h) {
        ActiveRound r = active;
        if (r == null || r.round != h.getRound()) {
            throw new FailedPrecondition("round: " + h.getRound() + " is not the open round of job " + jobId
                    + (r == null ? " (no round is collecting updates)" : " (open round: " + r.round + ")"));
        }
        if (!r.selected.contains(h.getNodeId())) {
            throw new FailedPrecondition("node_id: node " + h.getNodeId() + " was not selected for round " + r.round);
        }
        if (r.updates.containsKey(h.getNodeId())) {
            throw new AlreadyExists("node " + h.getNodeId() + " already submitted its update for round " + r.round);
        }
        if (h.getBaseAdapterVersion() != r.task.getAdapterVersion()) {
            throw new FailedPrecondition("base_adapter_version: round " + r.round + " trains from version "
                    + r.task.getAdapterVersion() + ", got " + h.getBaseAdapterVersion());
        }
        return r;
    }

    /** Accepts a fully validated update into the open round, re-checking the round state atomically. */
    void accept(UpdateHeader h, float[] delta) {
        lock.lock();
        try {
            ActiveRound r = roundStateOrThrow(h);
            r.updates.put(h.getNodeId(), new ClientUpdate(h.getNodeId(), delta, h.getNumExamples(),
                    h.getTrainLoss(), h.getTrainSeconds()));
            log.info("job {} round {}: update from node {} accepted ({}/{})", jobId, r.round, h.getNodeId(),
                    r.updates.size(), r.selected.size());
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- the loop ----

    private void loop() {
        MDC.put("job", jobId);
        try {
            FlatAdapter global = loadAdapter(latestSha);
            int round = store.lastRound(jobId);
            while (completedRounds < cfg.getRounds()) {
                List<NodeRecord> eligible = awaitEligible();
                if (eligible == null) {
                    return;
                }
                round++;
                MDC.put("round", Integer.toString(round));
                FlatAdapter next = runRound(round, eligible, global);
                MDC.remove("round");
                if (isStopping()) {
                    return;
                }
                if (next != null) {
                    global = next;
                } else if (!sleep(timing.retryDelay())) {
                    return;
                }
            }
            store.setJobState(jobId, JobState.JOB_STATE_COMPLETED, "");
            log.info("job {} completed after {} rounds", jobId, completedRounds);
            events.jobEnded(store.job(jobId).orElseThrow());
        } catch (RuntimeException | IOException e) {
            log.error("job {} failed", jobId, e);
            try {
                store.setJobState(jobId, JobState.JOB_STATE_FAILED, "coordinator error: " + e.getMessage());
                events.jobEnded(store.job(jobId).orElseThrow());
            } catch (RuntimeException e2) {
                e.addSuppressed(e2);
                log.error("job {}: could not record the failure", jobId, e2);
            }
        } finally {
            MDC.clear();
        }
    }

    private boolean isStopping() {
        lock.lock();
        try {
            return stopping;
        } finally {
            lock.unlock();
        }
    }

    private List<NodeRecord> eligibleNow() {
        List<NodeRecord> out = new ArrayList<>();
        for (NodeRecord n : transport.connectedNodes()) {
            if (n.baseModels().contains(cfg.getBaseModelSha256()) && !excluded.contains(n.nodeId())) {
                out.add(n);
            }
        }
        return out;
    }

    /** Blocks until at least min_clients eligible nodes are connected; null when stopping. */
    private List<NodeRecord> awaitEligible() {
        boolean logged = false;
        while (true) {
            List<NodeRecord> e = eligibleNow();
            if (e.size() >= cfg.getMinClients()) {
                return e;
            }
            if (!logged) {
                log.info("job {}: waiting for {} eligible nodes ({} connected now)", jobId, cfg.getMinClients(), e.size());
                logged = true;
            }
            if (!awaitUntil(() -> false, null)) {
                return null;
            }
        }
    }

    /**
     * Waits one tick at most, or until {@code done} holds, or until {@code deadline} (when given)
     * passes. Returns false when stopping.
     */
    private boolean awaitUntil(BooleanSupplier done, Instant deadline) {
        lock.lock();
        try {
            if (stopping) {
                return false;
            }
            if (done.getAsBoolean()) {
                return true;
            }
            long waitMs = timing.tick().toMillis();
            if (deadline != null) {
                waitMs = Math.min(waitMs, Math.max(0, Duration.between(clock.instant(), deadline).toMillis()));
            }
            if (waitMs > 0) {
                changed.await(waitMs, TimeUnit.MILLISECONDS);
            }
            return !stopping;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    private boolean sleep(Duration d) {
        Instant until = clock.instant().plus(d);
        while (clock.instant().isBefore(until)) {
            if (!awaitUntil(() -> false, until)) {
                return false;
            }
        }
        return !isStopping();
    }

    /** Runs one attempt; returns the published adapter, or null when the round was aborted. */
    private FlatAdapter runRound(int round, List<NodeRecord> eligible, FlatAdapter global) throws IOException {
        List<Candidate> candidates = eligible.stream().map(n -> new Candidate(n.nodeId(), n.numExamples())).toList();
        long seed = cfg.getTraining().getSeed() * 1_000_003L + round;
        List<Candidate> cohort = strategy.selectCohort(candidates, cfg.getClientsPerRound(), seed);
        Instant now = clock.instant();
        Instant deadline = now.plusSeconds(cfg.getRoundDeadlineSeconds());
        TrainTask task = TrainTask.newBuilder()
                .setJobId(jobId)
                .setRound(round)
                .setAdapterVersion(latestVersion)
                .setAdapterSha256(latestSha)
                .setBaseModelSha256(cfg.getBaseModelSha256())
                .setLora(cfg.getLora())
                .setTraining(cfg.getTraining())
                .setAdapterLayout(cfg.getAdapterLayout())
                .setDeadlineUnixMs(deadline.toEpochMilli())
                .build();
        Set<String> selected = new LinkedHashSet<>();
        cohort.forEach(c -> selected.add(c.nodeId()));
        ActiveRound r = new ActiveRound(round, task, selected, deadline, now.toEpochMilli());
        store.insertRound(summary(r, RoundState.ROUND_STATE_RUNNING).build());
        lock.lock();
        try {
            active = r;
        } finally {
            lock.unlock();
        }
        log.info("job {} round {}: selected {} of {} eligible nodes, training from version {}", jobId, round,
                selected.size(), eligible.size(), latestVersion);
        AgentEvent push = AgentEvent.newBuilder().setTrain(task).build();
        for (String id : selected) {
            if (!transport.send(id, push)) {
                onDisconnected(id);
            }
        }

        // Collect until nobody is pending, too few can still answer, or the deadline passes.
        String endReason = null;
        while (true) {
            lock.lock();
            boolean finished;
            try {
                finished = r.pending() == 0 || r.updates.size() + r.pending() < cfg.getMinClients();
            } finally {
                lock.unlock();
            }
            if (finished) {
                break;
            }
            if (!clock.instant().isBefore(deadline)) {
                endReason = "deadline";
                break;
            }
            if (!awaitUntil(() -> r.pending() == 0 || r.updates.size() + r.pending() < cfg.getMinClients(), deadline)) {
                break;
            }
        }
        List<ClientUpdate> updates;
        Set<String> dropped;
        Set<String> missing = new LinkedHashSet<>();
        boolean stop;
        lock.lock();
        try {
            active = null;
            stop = stopping;
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
        if (stop) {
            RoundSummary s = summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(endedMs)
                    .setAbortReason("coordinator shutting down").build();
            store.endRound(s);
            return null;
        }
        cancel(missing, round, "round " + round + " has ended");
        if (updates.size() < cfg.getMinClients()) {
            String reason = String.format("only %d of %d selected nodes contributed (min_clients %d; %d dropped out%s)",
                    updates.size(), selected.size(), cfg.getMinClients(), dropped.size(),
                    "deadline".equals(endReason) ? "; deadline passed" : "");
            RoundSummary s = summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(endedMs)
                    .setAbortReason(reason).build();
            store.endRound(s);
            log.warn("job {} round {} aborted: {}; retrying", jobId, round, reason);
            events.roundEnded(s);
            return null;
        }
        return publish(r, updates, global);
    }

    private FlatAdapter publish(ActiveRound r, List<ClientUpdate> updates, FlatAdapter global) {
        long t0 = System.nanoTime();
        float[] values = strategy.aggregate(global, updates);
        FlatAdapter next = new FlatAdapter(cfg.getAdapterLayout(), values);
        byte[] file = next.toSafetensors();
        String sha = blobs.put(file);
        double aggregateSeconds = (System.nanoTime() - t0) / 1e9;

        long examples = 0;
        double lossSum = 0;
        double secondsSum = 0;
        List<String> contributors = new ArrayList<>();
        for (ClientUpdate u : updates) {
            examples += u.numExamples();
            lossSum += u.numExamples() * u.trainLoss();
            secondsSum += u.trainSeconds();
            contributors.add(u.nodeId());
        }
        int version = latestVersion + 1;
        long endedMs = clock.millis();
        RoundSummary s = summary(r, RoundState.ROUND_STATE_COMPLETED)
                .clearContributingNodes().addAllContributingNodes(contributors)
                .setTotalExamples(examples)
                .setTrainLoss(lossSum / examples)
                .setMeanTrainSeconds(secondsSum / updates.size())
                .setEndedUnixMs(endedMs)
                .setAggregateSeconds(aggregateSeconds)
                .setAdapterVersion(version)
                .setAdapterSha256(sha)
                .build();
        store.completeRound(s, new AdapterVersion(jobId, version, sha, file.length, endedMs));
        latestVersion = version;
        latestSha = sha;
        completedRounds++;
        log.info("job {} round {} completed: {} contributors, {} examples, loss {}, version {} published ({} s to aggregate)",
                jobId, r.round, updates.size(), examples, String.format("%.4f", s.getTrainLoss()), version,
                String.format("%.3f", aggregateSeconds));
        events.roundEnded(s);
        return next;
    }

    private RoundSummary.Builder summary(ActiveRound r, RoundState state) {
        RoundSummary.Builder b = RoundSummary.newBuilder()
                .setJobId(jobId)
                .setRound(r.round)
                .setState(state)
                .addAllSelectedNodes(r.selected)
                .setStartedUnixMs(r.startedMs);
        lock.lock();
        try {
            b.addAllContributingNodes(r.updates.keySet());
        } finally {
            lock.unlock();
        }
        return b;
    }

    private void cancel(Set<String> nodes, int round, String reason) {
        AgentEvent c = AgentEvent.newBuilder()
                .setCancel(CancelTask.newBuilder().setJobId(jobId).setRound(round).setReason(reason)).build();
        for (String id : nodes) {
            transport.send(id, c);
        }
    }

    private FlatAdapter loadAdapter(String sha) throws IOException {
        return FlatAdapter.fromSafetensors(cfg.getAdapterLayout(), blobs.get(sha));
    }
}
