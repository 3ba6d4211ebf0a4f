package io.fedlora.coordinator.round;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.coordinator.CoordinatorException.AlreadyExists;
import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.store.BlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.strategy.Candidate;
import io.fedlora.coordinator.strategy.ClientUpdate;
import io.fedlora.crypto.encoding.EvalScore;
import io.fedlora.coordinator.strategy.CohortHistory;
import io.fedlora.coordinator.strategy.CohortSelector;
import io.fedlora.coordinator.strategy.Strategy;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.rounds.SecureRoundSetup;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
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
final class JobRun implements RoundHost {

    private static final Logger log = LoggerFactory.getLogger(JobRun.class);

    /** Nodes that declined this job for a reason that will not change; never selected again. */
    private final Set<String> excluded = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final String jobId;
    /** The job as stored when this loop was launched: the state it resumes from, checked first. */
    private final JobRecord launched;
    private final BlobStore blobs;
    private final JobConfig cfg;
    private final long elementCount;
    private final Store store;
    private final CohortTransport transport;
    private final Strategy strategy;
    private final InstantSource clock;
    private final RoundTiming timing;
    private final JobEvents events;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private ActiveRound active;
    private Halt halt = Halt.NONE;
    private boolean paused;
    private final Thread thread;

    // Owned by the loop thread.
    /** How each round ended, and the job's progress as published. */
    private final RoundLedger ledger;
    /** Client-level DP spent by the job so far; null when the job has none. */
    private ClientDpBudget clientDpBudget;
    /** Who was selected when, for fair selection and cool-downs. */
    private CohortHistory cohortHistory;
    private final CohortSelector cohortSelector;

    JobRun(JobRecord job, Store store, BlobStore blobs, CohortTransport transport, Strategy strategy,
            InstantSource clock, RoundTiming timing, JobEvents events) {
        this.jobId = job.jobId();
        this.launched = job;
        this.blobs = blobs;
        this.cfg = job.config();
        this.elementCount = LoraLayouts.totalElements(cfg.getAdapterLayout());
        this.store = store;
        this.transport = transport;
        this.strategy = strategy;
        this.cohortSelector = new CohortSelector(cfg.getScheduling(), cfg.getMinClients());
        this.clock = clock;
        this.timing = timing;
        this.events = events;
        this.ledger = new RoundLedger(job, store, blobs, transport, clock, events, strategy, lock,
                this::haltForCancel);
        this.thread = new Thread(this::loop, "round-loop-" + jobId);
        this.thread.setDaemon(true);
    }

    @Override
    public String jobId() {
        return jobId;
    }

    @Override
    public JobConfig config() {
        return cfg;
    }

    long elementCount() {
        return elementCount;
    }

    @Override
    public InstantSource clock() {
        return clock;
    }

    @Override
    public Store store() {
        return store;
    }

    @Override
    public JobEvents events() {
        return events;
    }

    @Override
    public ReentrantLock lock() {
        return lock;
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
        if (resend != null) {
            sendOrDrop(nodeId, AgentEvent.newBuilder().setTrain(resend).build());
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

    @Override
    public void sendOrDrop(String nodeId, AgentEvent event) {
        if (!transport.send(nodeId, event)) {
            onDisconnected(nodeId);
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
                    h.getTrainLoss(), h.getTrainSeconds(), h.hasEval()
                            ? new EvalScore(h.getEval().getExactMatch(), h.getEval().getLoss()) : null));
            notePrecision(r, h);
            log.info("job {} round {}: update from node {} accepted ({}/{})", jobId, r.round, h.getNodeId(),
                    r.updates.size(), r.selected.size());
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static void notePrecision(ActiveRound r, UpdateHeader h) {
        if (!h.getBasePrecision().isEmpty()) {
            r.basePrecisions.put(h.getNodeId(), h.getBasePrecision());
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
            notePrecision(r, h);
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
            List<String> problems = ResumeCheck.problems(launched, store, blobs);
            if (!problems.isEmpty()) {
                String reason = (store.lastRound(jobId) == 0 ? "cannot start: " : "cannot resume: ")
                        + String.join("; ", problems);
                log.error("job {} {}", jobId, reason);
                fail(reason);
                return;
            }
            FlatAdapter global = ledger.latestAdapter();
            ledger.restoreStrategyState();
            cohortHistory = CohortHistory.of(store.rounds(jobId));
            if (cfg.hasSecureAggregation() && cfg.getSecureAggregation().hasDistributedDp()) {
                clientDpBudget = ClientDpBudget.resume(cfg.getSecureAggregation().getDistributedDp(), store.rounds(jobId));
            }
            int round = store.lastRound(jobId);
            while (ledger.completedRounds() < cfg.getRounds()) {
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
                log.info("job {} completed after {} rounds", jobId, ledger.completedRounds());
                events.jobEnded(store.job(jobId).orElseThrow());
            }
        } catch (RuntimeException | IOException e) {
            log.error("job {} failed", jobId, e);
            fail("coordinator error: " + e.getMessage());
        } finally {
            MDC.clear();
        }
    }

    /** RUNNING or PAUSED → FAILED, and watchers told; a job cancelled meanwhile stays cancelled. */
    private void fail(String reason) {
        try {
            if (store.transitionJobState(jobId, RoundScheduler.SCHEDULED, JobState.JOB_STATE_FAILED, reason)) {
                events.jobEnded(store.job(jobId).orElseThrow());
            }
        } catch (RuntimeException e) {
            log.error("job {}: could not record the failure", jobId, e);
        }
    }

    @Override
    public Halt currentHalt() {
        lock.lock();
        try {
            return halt;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Halt endRound() {
        active = null;
        return halt;
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
     * How many of {@code eligible} nodes to select: clients_per_round (over-selected by the job's
     * scheduling.over_selection) at most; in a secure job, the
     * largest cohort SecAgg+ can run with the job's tolerances (0 if none).
     */
    private int cohortSize(int eligible) {
        int asked = (int) Math.ceil(cfg.getClientsPerRound() * (1 + cfg.getScheduling().getOverSelection()));
        int n = Math.min(asked, eligible);
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

    @Override
    public boolean awaitUntil(BooleanSupplier done, Instant deadline) {
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
        List<Candidate> cohort = cohortSelector.select(strategy, candidates, this::cohortSize, round, seed,
                cohortHistory);
        cohortHistory.record(round, cohort.stream().map(Candidate::nodeId).toList());
        Instant now = clock.instant();
        Instant deadline = now.plusSeconds(cfg.getRoundDeadlineSeconds());
        Map<String, NodeRecord> byId = new LinkedHashMap<>();
        eligible.forEach(n -> byId.put(n.nodeId(), n));
        SecureRound secure = cfg.hasSecureAggregation()
                ? SecureStages.setUp(jobId, cfg, round, cohort, byId, clientDpBudget) : null;
        TrainTask.Builder taskBuilder = TrainTask.newBuilder()
                .setJobId(jobId)
                .setRound(round)
                .setAdapterVersion(ledger.latestVersion())
                .setAdapterSha256(ledger.latestSha())
                .setBaseModelSha256(cfg.getBaseModelSha256())
                .setLora(cfg.getLora())
                .setTraining(strategy.configureFit(cfg.getTraining()))
                .setAdapterLayout(cfg.getAdapterLayout())
                .setDeadlineUnixMs(deadline.toEpochMilli());
        if (secure != null) {
            taskBuilder.setSecagg(secure.setup());
        }
        taskBuilder.setTraceparent(events.roundStarted(jobId, round, cohort.size(), secure != null));
        TrainTask task = taskBuilder.build();
        Set<String> selected = new LinkedHashSet<>();
        cohort.forEach(c -> selected.add(c.nodeId()));
        ActiveRound r = new ActiveRound(round, task, selected, deadline, now.toEpochMilli(), secure,
                new RoundStages(events, jobId, round));
        store.insertRound(ledger.summary(r, RoundState.ROUND_STATE_RUNNING).build());
        lock.lock();
        try {
            active = r;
        } finally {
            lock.unlock();
        }
        log.info("job {} round {}: selected {} of {} eligible nodes, training from version {}{}", jobId, round,
                selected.size(), eligible.size(), ledger.latestVersion(), secure == null
                        ? " (PLAINTEXT updates: --insecure-plaintext)"
                        : String.format(" (SecAgg+: k=%d, t=%d)", secure.setup().getNeighbours(),
                                secure.setup().getThreshold()));
        AgentEvent push = AgentEvent.newBuilder().setTrain(task).build();
        for (String id : selected) {
            sendOrDrop(id, push);
        }
        return secure != null ? new SecureStages(this, ledger, r, strategy, clientDpBudget).run(global)
                : new PlaintextCollection(this, ledger, r, strategy).run(global);
    }

    /** Ends the active round of a cancelled job; the ledger calls it before recording the round. */
    private void haltForCancel() {
        lock.lock();
        try {
            active = null;
            if (halt == Halt.NONE) {
                halt = Halt.CANCEL; // the store refused to publish before the scheduler told us: no next round
            }
        } finally {
            lock.unlock();
        }
    }
}
