package io.fedlora.client.agent;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.client.train.EvalResult;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.encoding.EvalScore;
import io.fedlora.crypto.encoding.SecureUpdateFormat;
import io.fedlora.proto.v1.HeldOutScore;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * Each TrainTask, one at a time on the worker thread: admitted or declined ({@link TaskAdmission}),
 * then the adapter fetched (or taken from the cache), scored, trained from and the update uploaded
 * (masked in a secure round). A task re-sent after a reconnect is not trained twice.
 */
final class TaskPipeline {

    private static final Logger log = AgentNode.LOG;

    private final AgentConfig config;
    private final LocalTrainer trainer;
    private final CoordinatorClient client;
    private final SecAggDispatcher secagg;
    private final NodeId nodeId;
    private final TaskAdmission admission;
    private final AdapterCache cache;
    private final TaskSpans taskSpans;
    private final Predicate<TrainTask> abandoned;
    /** Tasks seen (job/round), so a task re-sent after a reconnect is not trained twice. */
    private final RememberedRounds seen = new RememberedRounds();
    private final ExecutorService worker;

    TaskPipeline(AgentConfig config, LocalTrainer trainer, CoordinatorClient client, SecAggDispatcher secagg,
            NodeId nodeId, Ed25519PrivateKey identity, SecureRandom random, PrivacyGate privacyGate,
            Predicate<TrainTask> abandoned) {
        this.config = config;
        this.trainer = trainer;
        this.client = client;
        this.secagg = secagg;
        this.nodeId = nodeId;
        this.admission = new TaskAdmission(config, trainer, nodeId, identity, random, privacyGate);
        this.cache = new AdapterCache(config.stateDir().resolve("adapters"));
        this.taskSpans = new TaskSpans(config.openTelemetry());
        this.abandoned = abandoned;
        this.worker = Executors.newSingleThreadExecutor(r -> AgentNode.daemon(r, "agent-worker-" + config.nodeName()));
    }

    ExecutorService worker() {
        return worker;
    }

    /** Cancelled by the coordinator, abandoned with a lost stream, or the agent is closing. */
    boolean isCancelled(TrainTask t) {
        return abandoned.test(t);
    }

    /** Queues a task for the worker, unless this round was taken already. */
    void offer(TrainTask t) {
        if (seen.add(Rounds.key(t))) {
            worker.execute(() -> run(t));
        } else {
            log.debug("task for job {} round {} already taken; ignoring the repeat", t.getJobId(), t.getRound());
        }
    }

    private void run(TrainTask t) {
        Span span = taskSpans.start(t, nodeId.get());
        String outcome = "failed";
        try {
            outcome = run(t, span);
        } finally {
            span.setAttribute(TaskSpans.OUTCOME, outcome);
            if (outcome.equals("failed")) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        }
    }

    /** Runs one task; returns its outcome for the task's span: contributed, declined, skipped or failed. */
    private String run(TrainTask t, Span span) {
        MDC.put("node", nodeId.get());
        MDC.put("job", t.getJobId());
        MDC.put("round", Integer.toString(t.getRound()));
        try {
            TaskAdmission.Decision decision = admission.decide(t);
            if (decision instanceof TaskAdmission.Declined no) {
                client.decline(t, no.refusal());
                return "declined";
            }
            TaskAdmission.Admitted admitted = (TaskAdmission.Admitted) decision;
            SecureSession session = admitted.session();
            if (isCancelled(t) || Rounds.pastDeadline(t)) {
                log.info("skipping job {} round {}: cancelled or past its deadline", t.getJobId(), t.getRound());
                return "skipped";
            }
            if (session != null) {
                // Keys go out before training, so the exchange overlaps it.
                secagg.open(t, session);
                client.sendSecAgg(t, session.advertise());
            }
            return trainAndUpload(t, span, session, admitted.privacyMetrics());
        } catch (StatusRuntimeException e) {
            log.warn("job {} round {}: coordinator refused or failed: {}", t.getJobId(), t.getRound(), e.getStatus());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.error("job {} round {}: task failed", t.getJobId(), t.getRound(), e);
        } finally {
            secagg.endIfUnmasked(t);
            MDC.clear();
        }
        return "failed";
    }

    private String trainAndUpload(TrainTask t, Span span, SecureSession session, Map<String, Double> privacyMetrics)
            throws Exception {
        Span fetch = taskSpans.step(span, "fetch");
        FlatAdapter start;
        try {
            start = FlatAdapter.fromSafetensors(t.getAdapterLayout(), adapter(t));
        } finally {
            fetch.end();
        }
        log.info("job {} round {}: training from adapter version {}", t.getJobId(), t.getRound(),
                t.getAdapterVersion());
        TrainRequest request = new TrainRequest(t.getJobId(), t.getRound(), start, t.getLora(), t.getTraining());
        Span scoring = taskSpans.step(span, "eval");
        long evalStart = System.nanoTime();
        EvalScore eval;
        try {
            eval = trainer.evaluate(request).map(TaskPipeline::score).orElse(null);
            scoring.setAttribute("fedlora.eval.scored", eval != null); // false: no held-out data here
        } finally {
            scoring.end();
        }
        double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
        Span training = taskSpans.step(span, "train");
        TrainOutcome trained;
        try {
            trained = trainer.train(request);
        } finally {
            training.end();
        }
        // Held-out scoring is local compute too: it counts with training, not with the round's overhead.
        TrainOutcome out = new TrainOutcome(trained.delta(), trained.numExamples(), trained.meanLoss(),
                trained.steps(), trained.trainSeconds() + evalSeconds);
        if (out.delta().length != start.values().length) {
            throw new IllegalStateException("trainer returned " + out.delta().length + " values, adapter has "
                    + start.values().length);
        }
        if (isCancelled(t) || Rounds.pastDeadline(t)) {
            log.warn("job {} round {}: trained in {} s but the round is over; not uploading", t.getJobId(),
                    t.getRound(), String.format("%.1f", out.trainSeconds()));
            return "skipped";
        }
        Span upload = taskSpans.step(span, "upload");
        try {
            if (session != null) {
                if (!submitMasked(t, out, eval, session)) {
                    return "skipped";
                }
            } else {
                submit(t, out, eval);
            }
        } finally {
            upload.end();
        }
        if (!privacyMetrics.isEmpty()) {
            client.reportMetrics(t, privacyMetrics);
        }
        log.info("job {} round {}: update accepted (loss {}, {} steps, {} examples, {} s training)", t.getJobId(),
                t.getRound(), String.format("%.4f", out.meanLoss()), out.steps(), out.numExamples(),
                String.format("%.2f", out.trainSeconds()));
        return "contributed";
    }

    /** The task's adapter from the cache, or downloaded (retrying while the coordinator is unavailable). */
    private byte[] adapter(TrainTask t) throws IOException, InterruptedException {
        var cached = cache.get(t.getAdapterSha256());
        if (cached.isPresent()) {
            return cached.get();
        }
        byte[] b = client.fetchAdapter(t);
        cache.put(t.getAdapterSha256(), b);
        return b;
    }

    /** The score as it travels: a loss the model made infinite is reported at the format's cap. */
    private static EvalScore score(EvalResult r) {
        double loss = Double.isFinite(r.meanLoss()) ? Math.min(r.meanLoss(), SecureUpdateFormat.MAX_LOSS)
                : SecureUpdateFormat.MAX_LOSS;
        return new EvalScore(r.exactMatch(), loss);
    }

    /** Stage 3: masks the update and uploads it; false when the round went on without this node. */
    private boolean submitMasked(TrainTask t, TrainOutcome out, EvalScore eval, SecureSession session)
            throws Exception {
        long waitMs = t.getDeadlineUnixMs() > 0 ? t.getDeadlineUnixMs() - System.currentTimeMillis()
                : config.callTimeout().toMillis();
        int weight = (int) Math.min(Integer.MAX_VALUE, Math.max(1, out.numExamples()));
        var masked = session.mask(out.delta(), weight, out.meanLoss(), eval, waitMs);
        if (masked.isEmpty()) {
            secagg.forget(t);
            log.warn("job {} round {}: the key exchange did not complete (stage {}); not contributing", t.getJobId(),
                    t.getRound(), session.stage());
            return false;
        }
        config.encodedUpdateListener().onEncoded(t.getJobId(), t.getRound(), masked.get().encoded());
        SecureSession.wipe(masked.get().encoded());
        byte[] payload = masked.get().wire();
        UpdateHeader header = UpdateHeader.newBuilder()
                .setNodeId(nodeId.get())
                .setJobId(t.getJobId())
                .setRound(t.getRound())
                .setBaseAdapterVersion(t.getAdapterVersion())
                .setEncoding(UpdateEncoding.UPDATE_ENCODING_SECAGG_MASKED)
                .setElementCount(t.getSecagg().getVectorLength())
                .setBasePrecision(trainer.basePrecision())
                .setPayloadSha256(Sha256.hex(payload))
                .setTrainSeconds(out.trainSeconds())
                .build();
        try {
            client.submit(t, header, payload);
        } catch (StatusRuntimeException e) {
            secagg.forget(t);
            throw e;
        }
        return true;
    }

    private void submit(TrainTask t, TrainOutcome out, EvalScore eval) throws InterruptedException {
        byte[] payload = FlatAdapter.toLittleEndian(out.delta());
        UpdateHeader.Builder header = UpdateHeader.newBuilder()
                .setNodeId(nodeId.get())
                .setJobId(t.getJobId())
                .setRound(t.getRound())
                .setBaseAdapterVersion(t.getAdapterVersion())
                .setNumExamples(out.numExamples())
                .setEncoding(UpdateEncoding.UPDATE_ENCODING_PLAINTEXT_F32)
                .setElementCount(out.delta().length)
                .setPayloadSha256(Sha256.hex(payload))
                .setTrainLoss(out.meanLoss())
                .setTrainSeconds(out.trainSeconds())
                .setBasePrecision(trainer.basePrecision());
        if (eval != null) {
            header.setEval(HeldOutScore.newBuilder().setExactMatch(eval.exactMatch()).setLoss(eval.loss()));
        }
        client.submit(t, header.build(), payload);
    }
}
