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
import com.google.protobuf.ByteString;
import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.secagg.RoundAbortedException;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.CohortMember;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.proto.v1.SecAggSetup;
import io.fedlora.rounds.SecureRoundSetup;
import io.fedlora.proto.v1.CancelTask;
import io.fedlora.proto.v1.ClientDpPrivacy;
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
 *
 * <p>An operator can pause it (the round in progress ends as usual, then the loop waits before the
 * next), and cancel it (the round in progress is aborted and its nodes told; the store refuses to
 * publish for a cancelled job, so an aggregate finished at that moment is dropped too).
 */
final class JobRun {

    private static final Logger log = LoggerFactory.getLogger(JobRun.class);
    /** Graph seeds: public, but must be unpredictable before the round so no one can pick neighbours. */
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** The round being collected. Guarded by the run's lock. */
    private static final class ActiveRound {
        final int round;
        final TrainTask task;
        final Set<String> selected;
        final Map<String, ClientUpdate> updates = new LinkedHashMap<>();
        final Set<String> dropped = new LinkedHashSet<>();
        final Instant deadline;
        final long startedMs;
        /** The SecAgg+ state; null in a plaintext round (--insecure-plaintext only). */
        final SecureRound secure;

        ActiveRound(int round, TrainTask task, Set<String> selected, Instant deadline, long startedMs,
                SecureRound secure) {
            this.round = round;
            this.task = task;
            this.selected = selected;
            this.deadline = deadline;
            this.startedMs = startedMs;
            this.secure = secure;
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

    /** Why the loop was told to end early. */
    private enum Halt { NONE, SHUTDOWN, CANCEL }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private ActiveRound active;
    private Halt halt = Halt.NONE;
    private boolean paused;
    private final Thread thread;

    // Owned by the loop thread.
    /** Client-level DP spent by the job so far; null when the job has none. */
    private ClientDpBudget clientDpBudget;
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
        halt(Halt.SHUTDOWN);
        return awaitEnd(timeout);
    }

    /**
     * Asks the loop of a job just marked CANCELLED to end: the round in progress is aborted (with the
     * stored reason), its nodes are told, and nothing more is published. Returns at once; see
     * {@link #awaitEnd}.
     */
    void cancel() {
        halt(Halt.CANCEL);
    }

    private void halt(Halt why) {
        lock.lock();
        try {
            if (halt == Halt.NONE) {
                halt = why;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeout} for the loop's thread to end; whether it has. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        thread.join(Math.max(1, timeout.toMillis()));
        return !thread.isAlive();
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    /** No new round starts until {@link #resume()}; the one in progress, if any, ends as usual. */
    void pause() {
        setPaused(true);
    }

    void resume() {
        setPaused(false);
    }

    private void setPaused(boolean p) {
        lock.lock();
        try {
            paused = p;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- calls from the transport and the services ----

    void onConnected(String nodeId) {
        TrainTask resend = null;
        lock.lock();
        try {
            ActiveRound r = active;
            // A secure round's stage messages sent while a node was away are lost: it stays dropped.
            if (r != null && r.secure == null && r.selected.contains(nodeId) && !r.updates.containsKey(nodeId)) {
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

    /** A SecAgg+ message of stage 1, 2 or 4 from {@code nodeId} for {@code round}. */
    void receiveSecAgg(String nodeId, int round, byte[] wire) {
        lock.lock();
        try {
            SecureRound s = secureRoundOrThrow(nodeId, round);
            s.receive(nodeId, wire);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Exact byte size of {@code nodeId}'s masked-input upload for the open secure round. */
    long maskedInputSize(UpdateHeader h) {
        lock.lock();
        try {
            return secureRoundOrThrow(h.getNodeId(), h.getRound()).maskedInputSize(h.getNodeId());
        } finally {
            lock.unlock();
        }
    }

    /** A node's stage-3 upload (already checked against its header's sha256). */
    void acceptMasked(UpdateHeader h, byte[] wire) {
        lock.lock();
        try {
            ActiveRound r = roundStateOrThrow(h);
            SecureRound s = secureRoundOrThrow(h.getNodeId(), h.getRound());
            s.receiveMaskedInput(h.getNodeId(), wire, h.getTrainSeconds());
            log.info("job {} round {}: masked input from node {} accepted", jobId, r.round, h.getNodeId());
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private SecureRound secureRoundOrThrow(String nodeId, int round) {
        ActiveRound r = active;
        if (r == null || r.round != round) {
            throw new FailedPrecondition("round: " + round + " is not the open round of job " + jobId
                    + (r == null ? " (no round is open)" : " (open round: " + r.round + ")"));
        }
        if (r.secure == null) {
            throw new FailedPrecondition("round: round " + round + " of job " + jobId + " is not a secure round");
        }
        if (!r.selected.contains(nodeId)) {
            throw new FailedPrecondition("node_id: node " + nodeId + " was not selected for round " + round);
        }
        return r.secure;
    }

    // ---- the loop ----

    private void loop() {
        MDC.put("job", jobId);
        try {
            FlatAdapter global = loadAdapter(latestSha);
            if (cfg.hasSecureAggregation() && cfg.getSecureAggregation().hasDistributedDp()) {
                clientDpBudget = ClientDpBudget.resume(cfg.getSecureAggregation().getDistributedDp(), store.rounds(jobId));
            }
            int round = store.lastRound(jobId);
            while (completedRounds < cfg.getRounds()) {
                if (!awaitResumed()) {
                    return;
                }
                List<NodeRecord> eligible = awaitEligible();
                if (eligible == null) {
                    return;
                }
                if (eligible.isEmpty()) {
                    continue; // paused while waiting for nodes: wait for the resume first
                }
                round++;
                MDC.put("round", Integer.toString(round));
                FlatAdapter next = runRound(round, eligible, global);
                MDC.remove("round");
                if (isHalted()) {
                    return;
                }
                if (next != null) {
                    global = next;
                } else if (!sleep(timing.retryDelay())) {
                    return;
                }
            }
            // Conditional: a job cancelled meanwhile stays cancelled (its canceller reports the end).
            if (store.transitionJobState(jobId, RoundScheduler.SCHEDULED, JobState.JOB_STATE_COMPLETED, "")) {
                log.info("job {} completed after {} rounds", jobId, completedRounds);
                events.jobEnded(store.job(jobId).orElseThrow());
            }
        } catch (RuntimeException | IOException e) {
            log.error("job {} failed", jobId, e);
            try {
                if (store.transitionJobState(jobId, RoundScheduler.SCHEDULED, JobState.JOB_STATE_FAILED,
                        "coordinator error: " + e.getMessage())) {
                    events.jobEnded(store.job(jobId).orElseThrow());
                }
            } catch (RuntimeException e2) {
                e.addSuppressed(e2);
                log.error("job {}: could not record the failure", jobId, e2);
            }
        } finally {
            MDC.clear();
        }
    }

    private boolean isHalted() {
        return currentHalt() != Halt.NONE;
    }

    private Halt currentHalt() {
        lock.lock();
        try {
            return halt;
        } finally {
            lock.unlock();
        }
    }

    private boolean isPaused() {
        lock.lock();
        try {
            return paused;
        } finally {
            lock.unlock();
        }
    }

    /** Blocks while the job is paused; false when halted. */
    private boolean awaitResumed() {
        boolean logged = false;
        while (isPaused()) {
            if (!logged) {
                log.info("job {} paused: no new round until it is resumed", jobId);
                logged = true;
            }
            if (!awaitUntil(() -> !paused, null)) {
                return false;
            }
        }
        if (logged) {
            log.info("job {} resumed", jobId);
        }
        return !isHalted();
    }

    private List<NodeRecord> eligibleNow() {
        List<NodeRecord> out = new ArrayList<>();
        for (NodeRecord n : transport.connectedNodes()) {
            if (n.baseModels().contains(cfg.getBaseModelSha256()) && !excluded.contains(n.nodeId())
                    && (!cfg.hasSecureAggregation() || n.hasIdentityKey())) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * How many of {@code eligible} nodes to select: clients_per_round at most; in a secure job, the
     * largest cohort SecAgg+ can run with the job's tolerances (0 if none).
     */
    private int cohortSize(int eligible) {
        int n = Math.min(cfg.getClientsPerRound(), eligible);
        return cfg.hasSecureAggregation() ? SecureRoundSetup.largestFeasibleCohort(cfg.getSecureAggregation(),
                elementCount, n) : n;
    }

    /**
     * Blocks until enough eligible nodes are connected for a cohort of min_clients; null when halted,
     * empty when the job is paused meanwhile.
     */
    private List<NodeRecord> awaitEligible() {
        boolean logged = false;
        while (true) {
            if (isPaused()) {
                return List.of();
            }
            List<NodeRecord> e = eligibleNow();
            if (cohortSize(e.size()) >= Math.max(1, cfg.getMinClients())) {
                return e;
            }
            if (!logged) {
                log.info("job {}: waiting for {} eligible nodes ({} connected now)", jobId, cfg.getMinClients(), e.size());
                logged = true;
            }
            if (!awaitUntil(() -> paused, null)) {
                return null;
            }
        }
    }

    /**
     * Waits one tick at most, or until {@code done} holds, or until {@code deadline} (when given)
     * passes. Returns false when halted. {@code done} is evaluated under the lock.
     */
    private boolean awaitUntil(BooleanSupplier done, Instant deadline) {
        lock.lock();
        try {
            if (halt != Halt.NONE) {
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
            return halt == Halt.NONE;
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
        return !isHalted();
    }

    /** Runs one attempt; returns the published adapter, or null when the round was aborted. */
    private FlatAdapter runRound(int round, List<NodeRecord> eligible, FlatAdapter global) throws IOException {
        List<Candidate> candidates = eligible.stream().map(n -> new Candidate(n.nodeId(), n.numExamples())).toList();
        long seed = cfg.getTraining().getSeed() * 1_000_003L + round;
        List<Candidate> cohort = strategy.selectCohort(candidates, cohortSize(eligible.size()), seed);
        Instant now = clock.instant();
        Instant deadline = now.plusSeconds(cfg.getRoundDeadlineSeconds());
        Map<String, NodeRecord> byId = new LinkedHashMap<>();
        eligible.forEach(n -> byId.put(n.nodeId(), n));
        SecureRound secure = cfg.hasSecureAggregation() ? secureRound(round, cohort, byId) : null;
        TrainTask.Builder taskBuilder = TrainTask.newBuilder()
                .setJobId(jobId)
                .setRound(round)
                .setAdapterVersion(latestVersion)
                .setAdapterSha256(latestSha)
                .setBaseModelSha256(cfg.getBaseModelSha256())
                .setLora(cfg.getLora())
                .setTraining(cfg.getTraining())
                .setAdapterLayout(cfg.getAdapterLayout())
                .setDeadlineUnixMs(deadline.toEpochMilli());
        if (secure != null) {
            taskBuilder.setSecagg(secure.setup());
        }
        TrainTask task = taskBuilder.build();
        Set<String> selected = new LinkedHashSet<>();
        cohort.forEach(c -> selected.add(c.nodeId()));
        ActiveRound r = new ActiveRound(round, task, selected, deadline, now.toEpochMilli(), secure);
        store.insertRound(summary(r, RoundState.ROUND_STATE_RUNNING).build());
        lock.lock();
        try {
            active = r;
        } finally {
            lock.unlock();
        }
        log.info("job {} round {}: selected {} of {} eligible nodes, training from version {}{}", jobId, round,
                selected.size(), eligible.size(), latestVersion, secure == null ? " (PLAINTEXT updates: --insecure-plaintext)"
                        : String.format(" (SecAgg+: k=%d, t=%d)", secure.setup().getNeighbours(),
                                secure.setup().getThreshold()));
        AgentEvent push = AgentEvent.newBuilder().setTrain(task).build();
        for (String id : selected) {
            if (!transport.send(id, push)) {
                onDisconnected(id);
            }
        }
        if (secure != null) {
            return new SecureStages(r).run(global);
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
        Halt h;
        lock.lock();
        try {
            active = null;
            h = halt;
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
        if (h == Halt.SHUTDOWN) {
            RoundSummary s = summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(endedMs)
                    .setAbortReason("coordinator shutting down").build();
            store.endRound(s);
            return null;
        }
        if (h == Halt.CANCEL) {
            return abortCancelled(r, missing, false);
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
        return publish(r, new Outcome(values, contributors, examples, lossSum / examples,
                secondsSum / updates.size()), t0, b -> { });
    }

    /** What a completed round publishes, however it was aggregated. */
    private record Outcome(float[] values, List<String> contributors, long examples, double meanLoss,
            double meanTrainSeconds) {}

    private FlatAdapter publish(ActiveRound r, Outcome o, long t0, java.util.function.Consumer<RoundSummary.Builder> extra) {
        FlatAdapter next = new FlatAdapter(cfg.getAdapterLayout(), o.values());
        byte[] file = next.toSafetensors();
        String sha = blobs.put(file);
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
        extra.accept(b);
        RoundSummary s = b.build();
        if (!store.completeRound(s, new AdapterVersion(jobId, version, sha, file.length, endedMs))) {
            // Cancelled while aggregating (perhaps before this loop was told). The blob stays: content-addressed,
            // an aggregate, named by no version, so never served.
            return abortCancelled(r, Set.of(), s.getSecureAggregation());
        }
        latestVersion = version;
        latestSha = sha;
        completedRounds++;
        log.info("job {} round {} completed: {} contributors, {} examples, loss {}, version {} published ({} s to aggregate)",
                jobId, r.round, o.contributors().size(), o.examples(), Double.isNaN(s.getTrainLoss())
                        ? "not reported (client-level DP)" : String.format("%.4f", s.getTrainLoss()), version,
                String.format("%.3f", aggregateSeconds));
        events.roundEnded(s);
        return next;
    }

    // ---- secure rounds ----

    /** The round's SecAgg+ setup: the cohort in selection order with its registered identity keys. */
    private SecureRound secureRound(int round, List<Candidate> cohort, Map<String, NodeRecord> byId) {
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

    /**
     * Drives a secure round through its four stages. Stages 1, 2 and 4 close when every node asked
     * has answered or is gone, or at the stage timeout; stage 3 (masked inputs) at the round
     * deadline. Below the threshold the library aborts the round: it is recorded with the reason
     * and retried, never published with a wrong sum.
     */
    private final class SecureStages {
        private final ActiveRound r;
        private final SecureRound s;
        private final Duration stageTimeout;

        SecureStages(ActiveRound r) {
            this.r = r;
            this.s = r.secure;
            int t = cfg.getSecureAggregation().getStageTimeoutSeconds();
            this.stageTimeout = Duration.ofSeconds(t > 0 ? t : SecureRoundSetup.DEFAULT_STAGE_TIMEOUT_SECONDS);
        }

        FlatAdapter run(FlatAdapter global) {
            String abort = null;
            SecureRound.Result result = null;
            try {
                for (String stage : List.of("key advertisement", "key sharing", "masked input")) {
                    Instant now = clock.instant();
                    Instant until = stage.equals("masked input") ? r.deadline
                            : earliest(now.plus(stageTimeout), r.deadline);
                    if (!awaitStage(until)) {
                        return stopped();
                    }
                    Map<String, byte[]> out;
                    lock.lock();
                    try {
                        int inputs = s.maskedInputs();
                        if (inputs >= 0 && inputs < cfg.getMinClients()) {
                            abort = String.format("only %d of %d selected nodes sent a masked input (min_clients %d)",
                                    inputs, r.selected.size(), cfg.getMinClients());
                            break;
                        }
                        out = s.advance();
                    } finally {
                        lock.unlock();
                    }
                    log.info("job {} round {}: secagg {} stage closed; {} node(s) go on", jobId, r.round, stage, out.size());
                    push(out);
                }
                if (abort == null) {
                    if (!awaitStage(clock.instant().plus(stageTimeout))) {
                        return stopped();
                    }
                    long t0 = System.nanoTime();
                    lock.lock();
                    try {
                        result = s.finish();
                    } finally {
                        lock.unlock();
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

        /** Waits until nobody asked in this stage is pending, or {@code until}; false when halted. */
        private boolean awaitStage(Instant until) {
            while (clock.instant().isBefore(until)) {
                if (!awaitUntil(() -> s.pending(r.dropped) == 0, until)) {
                    return false;
                }
                lock.lock();
                try {
                    if (s.pending(r.dropped) == 0) {
                        return true;
                    }
                } finally {
                    lock.unlock();
                }
            }
            return !isHalted();
        }

        private void push(Map<String, byte[]> out) {
            out.forEach((id, wire) -> {
                AgentEvent e = AgentEvent.newBuilder().setSecagg(SecAggEnvelope.newBuilder().setNodeId(id)
                        .setJobId(jobId).setRound(r.round).setMessage(ByteString.copyFrom(wire))).build();
                if (!transport.send(id, e)) {
                    onDisconnected(id);
                }
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
            float[] values = strategy.applyMean(global, res.aggregate().meanUpdate());
            Set<String> missing = new LinkedHashSet<>(r.selected);
            missing.removeAll(res.contributors());
            cancel(missing, r.round, "round " + r.round + " has ended");
            // Under client-level DP nobody sends an example count: every client weighs 1.
            return publish(r, new Outcome(values, res.contributors(), privacy != null ? 0 : res.aggregate().totalWeight(),
                    res.aggregate().meanLoss(), res.meanTrainSeconds()), t0, b -> {
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
            RoundSummary sum = summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(clock.millis())
                    .setSecureAggregation(true).setAbortReason("secure aggregation: " + reason).build();
            store.endRound(sum);
            cancel(r.selected, r.round, "round " + r.round + " was aborted");
            log.warn("job {} round {} aborted: secure aggregation: {}; retrying", jobId, r.round, reason);
            events.roundEnded(sum);
            return null;
        }

        private FlatAdapter stopped() {
            endRound();
            if (currentHalt() == Halt.CANCEL) {
                // Every selected node may hold stage state for this round: all are told to drop it.
                return abortCancelled(r, r.selected, true);
            }
            store.endRound(summary(r, RoundState.ROUND_STATE_ABORTED).setEndedUnixMs(clock.millis())
                    .setAbortReason("coordinator shutting down").build());
            return null;
        }

        private void endRound() {
            lock.lock();
            try {
                active = null;
            } finally {
                lock.unlock();
            }
        }
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

    /**
     * The job was cancelled mid-round: the round is recorded as aborted, nothing of it is published,
     * and {@code working} (nodes that may still be training or in a SecAgg stage) are told it is over.
     */
    private FlatAdapter abortCancelled(ActiveRound r, Set<String> working, boolean secure) {
        lock.lock();
        try {
            active = null;
            if (halt == Halt.NONE) {
                halt = Halt.CANCEL; // the store refused to publish before the scheduler told us: no next round
            }
        } finally {
            lock.unlock();
        }
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
