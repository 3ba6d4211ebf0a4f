package io.fedlora.coordinator.round;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.NotFound;
import io.fedlora.coordinator.CoordinatorException.Unavailable;
import io.fedlora.coordinator.JobConfigValidator;
import io.fedlora.coordinator.store.BlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.strategy.Strategy;
import io.fedlora.coordinator.strategy.StrategyRegistry;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs every RUNNING job's round loop and routes what nodes send back to it. Both the gRPC
 * service and in-memory simulated clients submit through {@link #submitUpdate}, so an update is
 * validated the same way whatever carried it.
 *
 * <p>Job states: CREATED → RUNNING (start) ⇄ PAUSED (pause, resume) → COMPLETED or FAILED (the loop);
 * CREATED, RUNNING or PAUSED → CANCELLED (cancel). Every change is a compare-and-set in the store, so
 * an operator's call and the loop finishing the job cannot overwrite each other, and a restarted
 * coordinator resumes only RUNNING jobs.
 */
public final class RoundScheduler implements AutoCloseable, CohortTransport.Listener {

    private static final Logger log = LoggerFactory.getLogger(RoundScheduler.class);

    /** States in which a job has rounds to run and may publish: the round in progress may finish when paused. */
    static final Set<JobState> SCHEDULED = Collections.unmodifiableSet(EnumSet.of(JobState.JOB_STATE_RUNNING,
            JobState.JOB_STATE_PAUSED));
    /** How long CancelJob waits for the round loop to abandon its round before answering. */
    static final Duration CANCEL_WAIT = Duration.ofSeconds(10);

    private final Store store;
    private final BlobStore blobs;
    private final CohortTransport transport;
    private final JobEvents events;
    private final InstantSource clock;
    private final RoundTiming timing;
    private final boolean insecurePlaintext;
    private final Map<String, JobRun> runs = new ConcurrentHashMap<>();
    private boolean closed;

    public RoundScheduler(Store store, BlobStore blobs, CohortTransport transport, JobEvents events,
            InstantSource clock, RoundTiming timing) {
        this(store, blobs, transport, events, clock, timing, false);
    }

    /**
     * @param insecurePlaintext whether jobs without secure aggregation may run (the development
     *     flag {@code --insecure-plaintext}); without it such a job fails instead of starting
     */
    public RoundScheduler(Store store, BlobStore blobs, CohortTransport transport, JobEvents events,
            InstantSource clock, RoundTiming timing, boolean insecurePlaintext) {
        this.insecurePlaintext = insecurePlaintext;
        this.store = store;
        this.blobs = blobs;
        this.transport = transport;
        this.events = events;
        this.clock = clock;
        this.timing = timing;
        transport.setListener(this);
    }

    /** After a restart: rounds cut off by the stop are marked aborted, and RUNNING jobs resume. */
    public synchronized void resumeRunningJobs() {
        int aborted = store.abortRunningRounds("coordinator restarted", clock.millis());
        if (aborted > 0) {
            log.info("marked {} interrupted round(s) as aborted", aborted);
        }
        for (JobRecord j : store.jobs()) {
            if (j.state() == JobState.JOB_STATE_PAUSED) {
                log.info("job {} stays paused at {} of {} rounds until it is resumed", j.jobId(), j.completedRounds(),
                        j.config().getRounds());
            }
            if (j.state() == JobState.JOB_STATE_RUNNING) {
                try (var tag = jobTag(j.jobId())) {
                    log.info("resuming job {} at {} of {} rounds", j.jobId(), j.completedRounds(), j.config().getRounds());
                }
                try {
                    launch(j, "resume");
                } catch (FailedPrecondition e) {
                    // Already FAILED with the reason, and logged: the other jobs still resume.
                }
            }
        }
    }

    /** CREATED → RUNNING, and its round loop starts. */
    public synchronized JobRecord startJob(String jobId) {
        if (closed) {
            throw new Unavailable("coordinator is shutting down");
        }
        JobRecord j = requireJob(jobId);
        if (!j.config().hasSecureAggregation() && !insecurePlaintext && j.state() == JobState.JOB_STATE_CREATED) {
            throw new FailedPrecondition("job " + jobId + " has no secure_aggregation; only a coordinator started"
                    + " with --insecure-plaintext runs plaintext jobs");
        }
        transition(j, Set.of(JobState.JOB_STATE_CREATED), JobState.JOB_STATE_RUNNING, "", "start");
        JobRecord running = store.job(jobId).orElseThrow();
        launch(running, "start");
        log.info("job {} started", jobId);
        return running;
    }

    /**
     * RUNNING → PAUSED: the round in progress (if any) finishes or aborts as usual, and no new round
     * starts until {@link #resumeJob}. The pause is stored, so it outlasts a restart.
     */
    public synchronized JobRecord pauseJob(String jobId) {
        JobRecord j = requireJob(jobId);
        JobRun run = runs.get(jobId);
        // The loop is held first, so no round can start between the check and the stored state.
        if (run != null) {
            run.pause();
        }
        try {
            transition(j, Set.of(JobState.JOB_STATE_RUNNING), JobState.JOB_STATE_PAUSED, "", "be paused");
        } catch (RuntimeException e) {
            if (run != null && j.state() != JobState.JOB_STATE_PAUSED) {
                run.resume();
            }
            throw e;
        }
        try (var tag = jobTag(jobId)) {
            log.info("job {} paused; the round in progress, if any, ends as usual", jobId);
        }
        return store.job(jobId).orElseThrow();
    }

    /** PAUSED → RUNNING: rounds are scheduled again (by a fresh loop after a restart). */
    public synchronized JobRecord resumeJob(String jobId) {
        if (closed) {
            throw new Unavailable("coordinator is shutting down");
        }
        JobRecord j = requireJob(jobId);
        transition(j, Set.of(JobState.JOB_STATE_PAUSED), JobState.JOB_STATE_RUNNING, "", "be resumed");
        JobRecord running = store.job(jobId).orElseThrow();
        JobRun run = runs.get(jobId);
        if (run != null && run.isAlive()) {
            run.resume();
        } else {
            launch(running, "resume");
        }
        log.info("job {} resumed", jobId); // untagged: the job's round loop logs it to the job's log
        return running;
    }

    /**
     * CREATED, RUNNING or PAUSED → CANCELLED, for good. The round in progress is aborted (its nodes are
     * told; nothing of it is published, which the store enforces) and the job never runs again, also
     * after a restart. Waits up to {@link #CANCEL_WAIT} for the round loop to end before answering.
     *
     * @param by who cancels, for the job's record
     */
    public JobRecord cancelJob(String jobId, String by) {
        JobRun run;
        synchronized (this) {
            JobRecord j = requireJob(jobId);
            transition(j, EnumSet.of(JobState.JOB_STATE_CREATED, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_PAUSED),
                    JobState.JOB_STATE_CANCELLED, "cancelled by " + by, "be cancelled");
            try (var tag = jobTag(jobId)) {
                log.info("job {} cancelled by {}", jobId, by);
            }
            run = runs.remove(jobId);
            if (run != null) {
                run.cancel();
            }
        }
        if (run != null) {
            try {
                if (!run.awaitEnd(CANCEL_WAIT)) {
                    try (var tag = jobTag(jobId)) {
                        log.warn("job {}: the round loop did not end within {} s of the cancel; it publishes nothing more",
                                jobId, CANCEL_WAIT.toSeconds());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        JobRecord cancelled = store.job(jobId).orElseThrow();
        events.jobEnded(cancelled);
        return cancelled;
    }

    private JobRecord requireJob(String jobId) {
        return store.job(jobId).orElseThrow(() -> new NotFound("job_id: no job '" + jobId + "'"));
    }

    /** Compare-and-set of the job's state; FAILED_PRECONDITION naming the state it is in when not in {@code from}. */
    private void transition(JobRecord j, Set<JobState> from, JobState to, String reason, String verb) {
        if (!from.contains(j.state()) || !store.transitionJobState(j.jobId(), from, to, reason)) {
            JobState now = store.job(j.jobId()).map(JobRecord::state).orElse(j.state());
            throw new FailedPrecondition("job " + j.jobId() + " cannot " + verb + ": it is " + stateName(now));
        }
        events.jobChanged(j.jobId());
    }

    static String stateName(JobState s) {
        return s.name().replace("JOB_STATE_", "").toLowerCase();
    }

    /**
     * Starts the round loop of a job just made RUNNING. A job whose loop cannot be made is FAILED with
     * the reason (never left RUNNING with no loop) and FAILED_PRECONDITION thrown.
     *
     * @param verb "start" or "resume", for the reason
     */
    private void launch(JobRecord j, String verb) {
        if (!j.config().hasSecureAggregation() && !insecurePlaintext) {
            String why = "the job has no secure_aggregation and this coordinator was not started with --insecure-plaintext";
            failUnlaunched(j.jobId(), why);
            throw new FailedPrecondition("job " + j.jobId() + " cannot run: " + why);
        }
        JobRun run;
        try {
            run = new JobRun(j, store, blobs, transport, strategyFor(j.config()), clock, timing, events);
        } catch (RuntimeException e) {
            // e.g. a strategy this coordinator does not know, in a job stored by a newer one
            String why = "cannot " + verb + ": " + e.getMessage();
            failUnlaunched(j.jobId(), why);
            throw new FailedPrecondition("job " + j.jobId() + " " + why);
        }
        runs.put(j.jobId(), run);
        run.start();
    }

    /** A RUNNING or PAUSED job whose loop could not be launched → FAILED, and watchers told. */
    private void failUnlaunched(String jobId, String reason) {
        try (var tag = jobTag(jobId)) {
            if (store.transitionJobState(jobId, SCHEDULED, JobState.JOB_STATE_FAILED, reason)) {
                log.error("job {} failed: {}", jobId, reason);
                events.jobEnded(store.job(jobId).orElseThrow());
            }
        }
    }

    /** A fresh strategy for the job; its state is restored from the latest version by the run. */
    static Strategy strategyFor(JobConfig cfg) {
        try {
            return StrategyRegistry.create(cfg);
        } catch (IllegalArgumentException e) {
            throw new InvalidArgument(e.getMessage());
        }
    }

    /**
     * Checks an update's header before its payload is read, so a node does not upload megabytes
     * that would be refused. Returns the payload size in bytes the header promises.
     */
    public long checkUpdateHeader(UpdateHeader h) {
        JobRun run = runFor(h);
        return h.getEncoding() == UpdateEncoding.UPDATE_ENCODING_SECAGG_MASKED ? run.maskedInputSize(h)
                : run.elementCount() * 4;
    }

    /** Validates an update completely and, if it is acceptable, adds it to its round. */
    public void submitUpdate(UpdateHeader h, byte[] payload) {
        JobRun run = runFor(h);
        if (h.getEncoding() == UpdateEncoding.UPDATE_ENCODING_SECAGG_MASKED) {
            long expected = run.maskedInputSize(h);
            if (payload.length != expected) {
                throw new InvalidArgument("payload: got " + payload.length + " bytes, a masked input of "
                        + h.getElementCount() + " words is " + expected);
            }
            if (!Sha256.hex(payload).equals(h.getPayloadSha256())) {
                throw new InvalidArgument("payload_sha256: does not match the payload received");
            }
            run.acceptMasked(h, payload);
            return;
        }
        long expected = run.elementCount() * 4;
        if (payload.length != expected) {
            throw new InvalidArgument("payload: got " + payload.length + " bytes, element_count "
                    + h.getElementCount() + " needs " + expected);
        }
        if (!Sha256.hex(payload).equals(h.getPayloadSha256())) {
            throw new InvalidArgument("payload_sha256: does not match the payload received");
        }
        float[] delta = FlatAdapter.fromLittleEndian(payload);
        for (int i = 0; i < delta.length; i++) {
            if (!Float.isFinite(delta[i])) {
                throw new InvalidArgument("payload: element " + i + " is not a finite number");
            }
        }
        run.accept(h, delta);
    }

    /** A SecAgg+ message (stage 1, 2 or 4) from a node. */
    public void receiveSecAgg(io.fedlora.proto.v1.SecAggEnvelope e) {
        if (e.getJobId().isBlank()) {
            throw new InvalidArgument("job_id: must not be empty");
        }
        if (e.getMessage().isEmpty()) {
            throw new InvalidArgument("message: must not be empty");
        }
        if (e.getMessage().size() > MAX_SECAGG_MESSAGE_BYTES) {
            throw new InvalidArgument("message: " + e.getMessage().size() + " bytes exceed the limit of "
                    + MAX_SECAGG_MESSAGE_BYTES);
        }
        JobRecord job = store.job(e.getJobId())
                .orElseThrow(() -> new NotFound("job_id: no job '" + e.getJobId() + "'"));
        JobRun run = runs.get(job.jobId());
        if (run == null) {
            throw new FailedPrecondition("job_id: job " + job.jobId() + " is not running");
        }
        run.receiveSecAgg(e.getNodeId(), e.getRound(), e.getMessage().toByteArray());
    }

    /** Stage messages are keys and shares for at most a few hundred neighbours. */
    static final int MAX_SECAGG_MESSAGE_BYTES = 1 << 20;

    /** A node declines a task: it is counted out of the round, and for lasting reasons out of the job. */
    public void declineTask(io.fedlora.proto.v1.DeclineTaskRequest req) {
        if (req.getJobId().isBlank()) {
            throw new InvalidArgument("job_id: must not be empty");
        }
        if (req.getReason() == io.fedlora.proto.v1.DeclineReason.DECLINE_REASON_UNSPECIFIED
                || req.getReason() == io.fedlora.proto.v1.DeclineReason.UNRECOGNIZED) {
            throw new InvalidArgument("reason: must be one of the DeclineReason values");
        }
        if (req.getDetail().length() > 1000) {
            throw new InvalidArgument("detail: at most 1000 characters");
        }
        JobRecord job = store.job(req.getJobId())
                .orElseThrow(() -> new NotFound("job_id: no job '" + req.getJobId() + "'"));
        JobRun run = runs.get(job.jobId());
        if (run == null) {
            throw new FailedPrecondition("job_id: job " + job.jobId() + " is not running");
        }
        run.decline(req.getNodeId(), req.getRound(), req.getReason(), req.getDetail());
    }

    /** Field checks, then job and node existence, then job state, then round state. */
    private JobRun runFor(UpdateHeader h) {
        List<String> bad = new ArrayList<>();
        if (h.getJobId().isBlank()) {
            bad.add("job_id: must not be empty");
        }
        if (h.getNodeId().isBlank()) {
            bad.add("node_id: must not be empty");
        }
        if (!bad.isEmpty()) {
            throw new InvalidArgument(String.join("; ", bad));
        }
        JobRecord job = store.job(h.getJobId())
                .orElseThrow(() -> new NotFound("job_id: no job '" + h.getJobId() + "'"));
        if (store.node(h.getNodeId()).isEmpty()) {
            throw new NotFound("node_id: no registered node '" + h.getNodeId() + "'");
        }
        boolean secure = job.config().hasSecureAggregation();
        UpdateEncoding want = secure ? UpdateEncoding.UPDATE_ENCODING_SECAGG_MASKED
                : UpdateEncoding.UPDATE_ENCODING_PLAINTEXT_F32;
        if (h.getEncoding() != want) {
            bad.add("encoding: job " + job.jobId() + " takes " + want + ", got " + h.getEncoding());
        }
        long need = secure ? io.fedlora.rounds.SecureRoundSetup.vectorLength(job.config())
                : io.fedlora.adapter.LoraLayouts.totalElements(job.config().getAdapterLayout());
        if (h.getElementCount() != need) {
            bad.add("element_count: the job's update has " + need + (secure ? " words" : " elements") + ", got "
                    + h.getElementCount());
        }
        if (secure && (h.getNumExamples() != 0 || h.getTrainLoss() != 0)) {
            bad.add("num_examples, train_loss: must be 0 in a secure round (they travel inside the masked vector)");
        } else if (!secure && h.getNumExamples() <= 0) {
            bad.add("num_examples: must be > 0, got " + h.getNumExamples());
        }
        if (!JobConfigValidator.isSha256Hex(h.getPayloadSha256())) {
            bad.add("payload_sha256: must be 64 lowercase hex characters");
        }
        if (!Double.isFinite(h.getTrainLoss())) {
            bad.add("train_loss: must be a finite number");
        }
        if (!(h.getTrainSeconds() >= 0) || !Double.isFinite(h.getTrainSeconds())) {
            bad.add("train_seconds: must be a finite number >= 0");
        }
        if (!h.getBasePrecision().matches("[a-z0-9]{0,16}")) {
            bad.add("base_precision: must be up to 16 lowercase letters and digits (f32, nf4), got '"
                    + h.getBasePrecision().substring(0, Math.min(16, h.getBasePrecision().length())) + "'");
        }
        if (h.hasEval()) {
            if (secure) {
                bad.add("eval: must be absent in a secure round (it travels inside the masked vector)");
            }
            if (!(h.getEval().getExactMatch() >= 0 && h.getEval().getExactMatch() <= 1)) {
                bad.add("eval.exact_match: must be in [0, 1], got " + h.getEval().getExactMatch());
            }
            if (!(h.getEval().getLoss() >= 0) || !Double.isFinite(h.getEval().getLoss())) {
                bad.add("eval.loss: must be a finite number >= 0, got " + h.getEval().getLoss());
            }
        }
        if (!bad.isEmpty()) {
            throw new InvalidArgument(String.join("; ", bad));
        }
        if (!SCHEDULED.contains(job.state())) {
            throw new FailedPrecondition("job_id: job " + job.jobId() + " is not running (it is "
                    + stateName(job.state()) + ")");
        }
        JobRun run = runs.get(job.jobId());
        if (run == null) {
            throw new Unavailable("job " + job.jobId() + " is not being scheduled by this coordinator right now");
        }
        run.checkRoundState(h);
        return run;
    }

    @Override
    public void onConnected(String nodeId) {
        runs.values().forEach(r -> r.onConnected(nodeId));
    }

    @Override
    public void onDisconnected(String nodeId) {
        runs.values().forEach(r -> r.onDisconnected(nodeId));
    }

    /** Stops every round loop (their open rounds are recorded as aborted), waiting up to {@code timeout} in all. */
    public void close(Duration timeout) {
        List<JobRun> toStop;
        synchronized (this) {
            closed = true;
            toStop = List.copyOf(runs.values());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (JobRun r : toStop) {
            try {
                if (!r.stop(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())))) {
                    log.warn("round loop of job {} did not stop in time", r.jobId());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        runs.clear();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    /** Tags an operator action's log line with its job, so the job's log (dashboard, admin logs) shows it. */
    private static MDC.MDCCloseable jobTag(String jobId) {
        return MDC.putCloseable("job", jobId);
    }
}
