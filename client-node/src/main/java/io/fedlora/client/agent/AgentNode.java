package io.fedlora.client.agent;

import com.google.protobuf.ByteString;
import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.EvalResult;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.crypto.encoding.EvalScore;
import io.fedlora.crypto.encoding.SecureUpdateFormat;
import io.fedlora.proto.v1.HeldOutScore;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.CancelTask;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.DeclineReason;
import io.fedlora.proto.v1.DeclineTaskRequest;
import io.fedlora.proto.v1.MetricsReport;
import io.fedlora.proto.v1.FetchAdapterRequest;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.crypto.Ed25519PrivateKey;
import java.security.SecureRandom;
import io.fedlora.proto.v1.SubmitUpdateResponse;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import io.fedlora.proto.v1.UpdateUpload;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A client node's agent: registers (keeping its id across restarts), holds a Connect stream open,
 * and for each TrainTask fetches the global adapter, trains locally with the {@link LocalTrainer}
 * and uploads the delta. Over mutual TLS it renews its certificate before it expires
 * ({@link RenewalPolicy}). When the coordinator goes away it reconnects with capped, jittered
 * exponential backoff, forever, until {@link #close()}.
 *
 * <p>Threads: one control thread (register/connect/reconnect) and one worker that runs tasks one
 * at a time. The trainer belongs to the caller, who closes it after closing the agent.
 */
public final class AgentNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentNode.class);
    static final int CHUNK_BYTES = 1 << 20;
    private static final int MAX_REMEMBERED_TASKS = 1024;
    /** A backoff attempt number past any cap: after refused credentials, reconnect at the slowest pace. */
    private static final int CREDENTIALS_REFUSED = 64;

    private final AgentConfig config;
    private final LocalTrainer trainer;
    private final Channel channel;
    private final ManagedChannel ownedChannel;
    private final AgentServiceGrpc.AgentServiceBlockingStub blocking;
    private final AgentServiceGrpc.AgentServiceStub async;
    private final AdapterCache cache;
    private final Path nodeIdFile;
    private final Backoff backoff;
    private final Thread control;
    private final ExecutorService worker;
    private final Object sleeper = new Object();
    private final AtomicLong lastEventNanos = new AtomicLong();
    /** Tasks seen (job/round), so a task re-sent after a reconnect is not trained twice. */
    private final Set<String> seenTasks = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
                    return size() > MAX_REMEMBERED_TASKS;
                }
            }));
    private final Set<String> cancelledTasks = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
                    return size() > MAX_REMEMBERED_TASKS;
                }
            }));

    private final PrivacyGate privacyGate;
    private final Ed25519PrivateKey identity;
    private final SecureRandom random = new SecureRandom();
    /** Open secure rounds by job/round; stage messages are handled on {@link #secagg}. */
    private final Map<String, SecureSession> sessions = new java.util.concurrent.ConcurrentHashMap<>();
    private final TaskSpans taskSpans;
    private final ExecutorService secagg;
    /** Certificate renewal checks (mutual TLS only): at start, then every {@link RenewalPolicy#checkInterval()}. */
    private final java.util.concurrent.ScheduledExecutorService renewals;
    private final CertificateRenewer renewer;
    private volatile boolean closed;
    private volatile boolean connected;
    private volatile String nodeId;
    private volatile ClientCallStreamObserver<ConnectRequest> stream;

    private AgentNode(AgentConfig config, LocalTrainer trainer, Channel channel, ManagedChannel owned,
            io.fedlora.client.tls.RenewableChannel renewable) throws IOException {
        this.config = config;
        this.trainer = trainer;
        this.channel = channel;
        this.ownedChannel = owned;
        this.blocking = AgentServiceGrpc.newBlockingStub(channel);
        this.async = AgentServiceGrpc.newStub(channel);
        Files.createDirectories(config.stateDir());
        this.cache = new AdapterCache(config.stateDir().resolve("adapters"));
        this.privacyGate = new PrivacyGate(config.privacyBudget() == null ? null
                : io.fedlora.client.privacy.PrivacyLedger.open(config.stateDir().resolve("privacy-ledger.json"),
                        config.privacyBudget(), java.time.InstantSource.system()));
        this.identity = IdentityKey.loadOrCreate(config.stateDir(), random);
        this.nodeIdFile = config.stateDir().resolve("node-id");
        this.nodeId = Files.exists(nodeIdFile) ? Files.readString(nodeIdFile, StandardCharsets.UTF_8).trim() : "";
        this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff(), RandomGenerator.of("L64X128MixRandom"));
        this.taskSpans = new TaskSpans(config.openTelemetry());
        this.worker = Executors.newSingleThreadExecutor(r -> daemon(r, "agent-worker-" + config.nodeName()));
        this.secagg = Executors.newSingleThreadExecutor(r -> daemon(r, "agent-secagg-" + config.nodeName()));
        this.control = daemon(this::controlLoop, "agent-control-" + config.nodeName());
        if (renewable != null) {
            this.renewer = new CertificateRenewer(config, identity, renewable, java.time.InstantSource.system(), random);
            this.renewals = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "agent-renewal-" + config.nodeName()));
        } else {
            this.renewer = null;
            this.renewals = null;
        }
    }

    private void startThreads() {
        control.start();
        if (renewals != null) {
            long every = config.renewal().checkInterval().toMillis();
            renewals.scheduleWithFixedDelay(renewer::renewIfDue, 0, every, TimeUnit.MILLISECONDS);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Starts an agent with its own channel to {@code config.coordinatorTarget()}, closed by {@link #close()}:
     * mutual TLS with the certificate in {@code stateDir/tls}, enrolling first if there is none (see
     * {@link AgentCredentials}); plaintext only with {@code insecureTransport}.
     */
    public static AgentNode start(AgentConfig config, LocalTrainer trainer) throws IOException {
        io.fedlora.client.tls.RenewableChannel renewable = null;
        ManagedChannel ch;
        if (config.insecureTransport()) {
            ch = io.fedlora.client.tls.CoordinatorChannels.plaintext(config.coordinatorTarget());
        } else {
            renewable = new io.fedlora.client.tls.RenewableChannel(config.coordinatorTarget(),
                    AgentCredentials.ensure(config, new SecureRandom()));
            ch = renewable;
        }
        try {
            AgentNode a = new AgentNode(config, trainer, ch, ch, renewable);
            a.startThreads();
            return a;
        } catch (IOException | RuntimeException e) {
            ch.shutdownNow();
            throw e;
        }
    }

    /** Starts an agent on a channel the caller made and will close (tests, TLS channels). */
    public static AgentNode start(AgentConfig config, LocalTrainer trainer, Channel channel) throws IOException {
        AgentNode a = new AgentNode(config, trainer, channel, null, null);
        a.startThreads();
        return a;
    }

    /** The id the coordinator assigned; empty before the first registration of a fresh state dir. */
    public String nodeId() {
        return nodeId;
    }

    /** Whether the Connect stream is open (the coordinator's first heartbeat has arrived). */
    public boolean isConnected() {
        return connected;
    }

    /** Waits until connected; false on timeout. */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!connected) {
            if (System.nanoTime() > end || closed) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    // ---- connection management ----

    private void controlLoop() {
        int attempt = 0;
        while (!closed) {
            try {
                resetChannelBackoff();
                register();
                if (runConnectStream()) {
                    attempt = 0; // the stream was established: start the next backoff from the beginning
                }
            } catch (StatusRuntimeException e) {
                if (!closed && (e.getStatus().getCode() == Status.Code.UNAUTHENTICATED
                        || e.getStatus().getCode() == Status.Code.PERMISSION_DENIED)) {
                    // Refused credentials will not heal by themselves: say so once, then retry only slowly.
                    if (attempt < CREDENTIALS_REFUSED) {
                        log.error("coordinator {} refused this node's credentials: {} (revoked? enrol again with a new"
                                + " token and a fresh state dir)", config.coordinatorTarget(), e.getStatus());
                    }
                    attempt = Math.max(attempt, CREDENTIALS_REFUSED);
                } else if (!closed) {
                    log.warn("coordinator {} unreachable or refused: {}", config.coordinatorTarget(), e.getStatus());
                }
            } catch (IOException e) {
                log.error("cannot persist the node id in {}", config.stateDir(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("agent control loop error", e);
            }
            if (closed) {
                return;
            }
            Duration d = backoff.delay(attempt++);
            log.info("reconnecting in {} ms", d.toMillis());
            synchronized (sleeper) {
                if (!closed) {
                    try {
                        sleeper.wait(Math.max(1, d.toMillis()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private void resetChannelBackoff() {
        // Our own backoff paces reconnection; the channel's must not add a second delay on top.
        if (channel instanceof ManagedChannel mc) {
            mc.resetConnectBackoff();
        }
    }

    private void register() throws IOException {
        String id = blocking.withDeadlineAfter(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .register(RegisterRequest.newBuilder()
                        .setNodeId(nodeId)
                        .setNodeName(config.nodeName())
                        .addBaseModelSha256(config.baseModelSha256())
                        .setNumExamples(config.numExamples())
                        .setDevice(config.device())
                        .setIdentityKey(ByteString.copyFrom(identity.publicKey().toBytes()))
                        .build())
                .getNodeId();
        if (!id.equals(nodeId)) {
            AtomicFiles.writeString(nodeIdFile, id);
            if (!nodeId.isEmpty()) {
                log.warn("coordinator did not know node id {}; now registered as {}", nodeId, id);
            }
            nodeId = id;
        }
        MDC.put("node", id);
    }

    /** Holds the Connect stream until it ends; true when it had been established. */
    private boolean runConnectStream() throws InterruptedException {
        CompletableFuture<Status> ended = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean established = new java.util.concurrent.atomic.AtomicBoolean();
        lastEventNanos.set(System.nanoTime());
        async.connect(ConnectRequest.newBuilder().setNodeId(nodeId).build(),
                new ClientResponseObserver<ConnectRequest, AgentEvent>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ConnectRequest> s) {
                        stream = s;
                    }

                    @Override
                    public void onNext(AgentEvent e) {
                        lastEventNanos.set(System.nanoTime());
                        if (!connected) {
                            connected = true;
                            established.set(true);
                            log.info("connected to coordinator {} as node {}", config.coordinatorTarget(), nodeId);
                        }
                        onEvent(e);
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(Status.UNAVAILABLE.withDescription("coordinator ended the stream"));
                    }
                });
        if (closed) {
            stream.cancel("agent closing", null);
        }
        long timeoutNanos = config.heartbeatTimeout().toNanos();
        Status status;
        while (true) {
            try {
                status = ended.get(Math.max(10, config.heartbeatTimeout().toMillis() / 4), TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                if (System.nanoTime() - lastEventNanos.get() > timeoutNanos) {
                    log.warn("no heartbeat from the coordinator for {} s; reconnecting", config.heartbeatTimeout().toSeconds());
                    stream.cancel("heartbeat timeout", null);
                }
            } catch (ExecutionException e) {
                status = Status.fromThrowable(e.getCause());
                break;
            }
        }
        boolean wasConnected = connected;
        connected = false;
        if (!closed) {
            log.warn("connection to coordinator lost{}: {}", wasConnected ? "" : " before it was established", status);
            abandonUnmaskedRounds();
        }
        return established.get();
    }

    /**
     * The coordinator counts a node whose stream ended as dropped from every round it has not yet sent
     * its masked input to, and the stage messages sent meanwhile are gone: those rounds cannot complete
     * here. End them now, so the worker is not held in {@link SecureSession#mask} until the round's
     * deadline while the next round's task waits behind it.
     */
    private void abandonUnmaskedRounds() {
        for (var e : sessions.entrySet()) {
            SecureSession s = e.getValue();
            if (s.stage().ordinal() < io.fedlora.crypto.secagg.ClientStage.MASKED.ordinal()
                    && sessions.remove(e.getKey(), s)) {
                cancelledTasks.add(e.getKey());
                s.end();
                log.info("round {}: abandoned, the connection was lost before this node's masked input went in",
                        e.getKey());
            }
        }
    }

    // ---- tasks ----

    private void onEvent(AgentEvent e) {
        switch (e.getEventCase()) {
            case TRAIN -> {
                TrainTask t = e.getTrain();
                if (seenTasks.add(key(t.getJobId(), t.getRound()))) {
                    worker.execute(() -> runTask(t));
                } else {
                    log.debug("task for job {} round {} already taken; ignoring the repeat", t.getJobId(), t.getRound());
                }
            }
            case SECAGG -> secagg.execute(() -> onSecAgg(e.getSecagg()));
            case CANCEL -> {
                CancelTask c = e.getCancel();
                cancelledTasks.add(key(c.getJobId(), c.getRound()));
                SecureSession s = sessions.remove(key(c.getJobId(), c.getRound()));
                if (s != null) {
                    s.end();
                }
                log.info("job {} round {} cancelled by the coordinator: {}", c.getJobId(), c.getRound(), c.getReason());
            }
            default -> { }
        }
    }

    private static String key(String job, int round) {
        return job + "/" + round;
    }

    private void runTask(TrainTask t) {
        Span span = taskSpans.start(t, nodeId);
        String outcome = "failed";
        try {
            outcome = runTask(t, span);
        } finally {
            span.setAttribute(TaskSpans.OUTCOME, outcome);
            if (outcome.equals("failed")) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        }
    }

    /** Runs one task; returns its outcome for the task's span: contributed, declined, skipped or failed. */
    private String runTask(TrainTask t, Span span) {
        MDC.put("node", nodeId);
        MDC.put("job", t.getJobId());
        MDC.put("round", Integer.toString(t.getRound()));
        try {
            if (!t.getBaseModelSha256().equals(config.baseModelSha256())) {
                // Training another model's adapter would produce garbage; the coordinator counts us as absent.
                log.warn("refusing job {} round {}: it is for base model {}, this node has {}", t.getJobId(),
                        t.getRound(), t.getBaseModelSha256(), config.baseModelSha256());
                decline(t, new PrivacyGate.Refusal(DeclineReason.DECLINE_REASON_BASE_MODEL_MISMATCH,
                        "this node has base model " + config.baseModelSha256()));
                return "declined";
            }
            if (t.getTraining().hasDp() && !trainer.supportsDp()) {
                decline(t, new PrivacyGate.Refusal(DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                        "the task asks for DP-SGD, which this node's trainer does not implement"));
                return "declined";
            }
            SecureSession session = null;
            if (!t.hasSecagg() && !config.insecurePlaintext()) {
                log.warn("declining job {} round {}: the coordinator asked for a plaintext update", t.getJobId(),
                        t.getRound());
                decline(t, new PrivacyGate.Refusal(DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                        "the round has no secure aggregation; this node sends its update only through SecAgg+"));
                return "declined";
            }
            if (t.hasSecagg()) {
                try {
                    session = SecureSession.open(t, nodeId, identity, config.minSecureCohort(),
                            config.secAggThreads(), random);
                } catch (SecureSession.UnacceptableSetup e) {
                    log.warn("declining job {} round {}: {}", t.getJobId(), t.getRound(), e.getMessage());
                    decline(t, new PrivacyGate.Refusal(DeclineReason.DECLINE_REASON_UNACCEPTABLE_PARAMETERS,
                            e.getMessage()));
                    return "declined";
                }
            }
            Object admitted = privacyGate.admit(t);
            if (admitted instanceof PrivacyGate.Refusal refusal) {
                log.warn("declining job {} round {}: {}", t.getJobId(), t.getRound(), refusal.detail());
                decline(t, refusal);
                return "declined";
            }
            Map<String, Double> privacyMetrics = ((PrivacyGate.Allowance) admitted).metrics();
            if (isCancelled(t) || pastDeadline(t)) {
                log.info("skipping job {} round {}: cancelled or past its deadline", t.getJobId(), t.getRound());
                return "skipped";
            }
            if (session != null) {
                // Keys go out before training, so the exchange overlaps it.
                sessions.put(key(t.getJobId(), t.getRound()), session);
                sendSecAgg(t, session.advertise());
            }
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
                eval = trainer.evaluate(request).map(AgentNode::score).orElse(null);
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
            if (isCancelled(t) || pastDeadline(t)) {
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
                blocking.withDeadlineAfter(config.callTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .reportMetrics(MetricsReport.newBuilder().setNodeId(nodeId).setJobId(t.getJobId())
                                .setRound(t.getRound()).putAllMetrics(privacyMetrics).build());
            }
            log.info("job {} round {}: update accepted (loss {}, {} steps, {} examples, {} s training)", t.getJobId(),
                    t.getRound(), String.format("%.4f", out.meanLoss()), out.steps(), out.numExamples(),
                    String.format("%.2f", out.trainSeconds()));
            return "contributed";
        } catch (StatusRuntimeException e) {
            log.warn("job {} round {}: coordinator refused or failed: {}", t.getJobId(), t.getRound(), e.getStatus());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.error("job {} round {}: task failed", t.getJobId(), t.getRound(), e);
        } finally {
            // A secure round this node did not get its masked input into is over for it: drop its secrets.
            sessions.computeIfPresent(key(t.getJobId(), t.getRound()), (k, s) -> {
                if (s.stage().ordinal() < io.fedlora.crypto.secagg.ClientStage.MASKED.ordinal()) {
                    s.end();
                    return null;
                }
                return s;
            });
            MDC.clear();
        }
        return "failed";
    }

    // ---- secure aggregation ----

    private void sendSecAgg(TrainTask t, byte[] wire) throws InterruptedException {
        retryWhileUnavailable(t, () -> blocking.withDeadlineAfter(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .sendSecAgg(SecAggEnvelope.newBuilder().setNodeId(nodeId).setJobId(t.getJobId()).setRound(t.getRound())
                        .setMessage(ByteString.copyFrom(wire)).build()));
    }

    /** A stage message from the coordinator, on the SecAgg thread. */
    private void onSecAgg(SecAggEnvelope e) {
        String k = key(e.getJobId(), e.getRound());
        SecureSession s = sessions.get(k);
        if (s == null) {
            log.debug("secagg message for job {} round {}, which this node is not in; ignored", e.getJobId(), e.getRound());
            return;
        }
        try {
            var reply = s.onServerMessage(e.getMessage().toByteArray());
            if (reply.isPresent()) {
                blocking.withDeadlineAfter(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .sendSecAgg(SecAggEnvelope.newBuilder().setNodeId(nodeId).setJobId(e.getJobId())
                                .setRound(e.getRound()).setMessage(ByteString.copyFrom(reply.get())).build());
            }
            if (s.stage() == io.fedlora.crypto.secagg.ClientStage.DONE) {
                sessions.remove(k);
                log.info("job {} round {}: unmasking shares sent; secure aggregation done on this side",
                        e.getJobId(), e.getRound());
            }
        } catch (io.fedlora.crypto.secagg.SecAggException ex) {
            // The library names the stage and peers, never secret material.
            sessions.remove(k);
            s.end();
            log.warn("job {} round {}: leaving the secure round: {}", e.getJobId(), e.getRound(), ex.getMessage());
        } catch (StatusRuntimeException ex) {
            log.warn("job {} round {}: coordinator refused a secagg message: {}", e.getJobId(), e.getRound(),
                    ex.getStatus());
        }
    }

    /** Stage 3: masks the update and uploads it; false when the round went on without this node. */
    private boolean submitMasked(TrainTask t, TrainOutcome out, EvalScore eval, SecureSession session)
            throws Exception {
        long waitMs = t.getDeadlineUnixMs() > 0 ? t.getDeadlineUnixMs() - System.currentTimeMillis()
                : config.callTimeout().toMillis();
        int weight = (int) Math.min(Integer.MAX_VALUE, Math.max(1, out.numExamples()));
        var masked = session.mask(out.delta(), weight, out.meanLoss(), eval, waitMs);
        if (masked.isEmpty()) {
            sessions.remove(key(t.getJobId(), t.getRound()));
            log.warn("job {} round {}: the key exchange did not complete (stage {}); not contributing", t.getJobId(),
                    t.getRound(), session.stage());
            return false;
        }
        config.encodedUpdateListener().onEncoded(t.getJobId(), t.getRound(), masked.get().encoded());
        SecureSession.wipe(masked.get().encoded());
        byte[] payload = masked.get().wire();
        UpdateHeader header = UpdateHeader.newBuilder()
                .setNodeId(nodeId)
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
            retryWhileUnavailable(t, () -> upload(header, payload));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                sessions.remove(key(t.getJobId(), t.getRound()));
                throw e;
            }
        }
        return true;
    }

    private void decline(TrainTask t, PrivacyGate.Refusal refusal) {
        try {
            blocking.withDeadlineAfter(config.callTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                    .declineTask(DeclineTaskRequest.newBuilder().setNodeId(nodeId).setJobId(t.getJobId())
                            .setRound(t.getRound()).setReason(refusal.reason()).setDetail(refusal.detail()).build());
        } catch (StatusRuntimeException e) {
            log.warn("job {} round {}: could not tell the coordinator ({}); it will count this node as absent",
                    t.getJobId(), t.getRound(), e.getStatus().getCode());
        }
    }

    private boolean isCancelled(TrainTask t) {
        return closed || cancelledTasks.contains(key(t.getJobId(), t.getRound()));
    }

    private static boolean pastDeadline(TrainTask t) {
        return t.getDeadlineUnixMs() > 0 && System.currentTimeMillis() > t.getDeadlineUnixMs();
    }

    /** The task's adapter from the cache, or downloaded (retrying while the coordinator is unavailable). */
    private byte[] adapter(TrainTask t) throws IOException, InterruptedException {
        var cached = cache.get(t.getAdapterSha256());
        if (cached.isPresent()) {
            return cached.get();
        }
        byte[] b = retryWhileUnavailable(t, () -> fetch(t));
        cache.put(t.getAdapterSha256(), b);
        return b;
    }

    /** The score as it travels: a loss the model made infinite is reported at the format's cap. */
    private static EvalScore score(EvalResult r) {
        double loss = Double.isFinite(r.meanLoss()) ? Math.min(r.meanLoss(), SecureUpdateFormat.MAX_LOSS)
                : SecureUpdateFormat.MAX_LOSS;
        return new EvalScore(r.exactMatch(), loss);
    }

    private byte[] fetch(TrainTask t) {
        Iterator<Chunk> it = blocking.withDeadlineAfter(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .fetchAdapter(FetchAdapterRequest.newBuilder().setNodeId(nodeId).setJobId(t.getJobId())
                        .setAdapterVersion(t.getAdapterVersion()).build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long total = -1;
        while (it.hasNext()) {
            Chunk c = it.next();
            if (total < 0) {
                total = c.getTotalSize();
                if (total < 0 || total > Integer.MAX_VALUE - 64) {
                    throw Status.DATA_LOSS.withDescription("adapter of " + total + " bytes is too large").asRuntimeException();
                }
            }
            if (c.getOffset() != out.size() || c.getTotalSize() != total || out.size() + (long) c.getData().size() > total) {
                throw Status.DATA_LOSS.withDescription("adapter chunks out of order or inconsistent at offset "
                        + c.getOffset()).asRuntimeException();
            }
            out.writeBytes(c.getData().toByteArray());
        }
        byte[] b = out.toByteArray();
        if (b.length != total || !Sha256.hex(b).equals(t.getAdapterSha256())) {
            throw Status.DATA_LOSS.withDescription("downloaded adapter does not match sha256 " + t.getAdapterSha256())
                    .asRuntimeException();
        }
        return b;
    }

    private void submit(TrainTask t, TrainOutcome out, EvalScore eval) throws InterruptedException {
        byte[] payload = FlatAdapter.toLittleEndian(out.delta());
        UpdateHeader.Builder header = UpdateHeader.newBuilder()
                .setNodeId(nodeId)
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
        UpdateHeader built = header.build();
        try {
            retryWhileUnavailable(t, () -> upload(built, payload));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
                return; // an earlier attempt got through; only its reply was lost
            }
            throw e;
        }
    }

    private Boolean upload(UpdateHeader header, byte[] payload) {
        CompletableFuture<SubmitUpdateResponse> reply = new CompletableFuture<>();
        async.withDeadline(Deadline.after(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS))
                .submitUpdate(new ClientResponseObserver<UpdateUpload, SubmitUpdateResponse>() {
                    private ClientCallStreamObserver<UpdateUpload> requests;
                    private int offset = -1; // -1: header not sent yet
                    private boolean done;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<UpdateUpload> r) {
                        requests = r;
                        r.setOnReadyHandler(this::drain);
                    }

                    /** Sends while the transport can take more, so a large payload is never queued whole. */
                    private synchronized void drain() {
                        while (!done && requests.isReady()) {
                            if (offset < 0) {
                                requests.onNext(UpdateUpload.newBuilder().setHeader(header).build());
                                offset = 0;
                            } else if (offset < payload.length) {
                                int n = Math.min(CHUNK_BYTES, payload.length - offset);
                                requests.onNext(UpdateUpload.newBuilder()
                                        .setPayload(ByteString.copyFrom(payload, offset, n)).build());
                                offset += n;
                            } else {
                                done = true;
                                requests.onCompleted();
                            }
                        }
                    }

                    @Override
                    public void onNext(SubmitUpdateResponse r) {
                        reply.complete(r);
                    }

                    @Override
                    public synchronized void onError(Throwable t) {
                        done = true;
                        reply.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        reply.completeExceptionally(Status.INTERNAL.withDescription("no reply to upload").asRuntimeException());
                    }
                });
        try {
            SubmitUpdateResponse r = reply.get(config.callTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            if (!r.getAccepted()) {
                throw Status.FAILED_PRECONDITION.withDescription("coordinator did not accept the update").asRuntimeException();
            }
            return Boolean.TRUE;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StatusRuntimeException s ? s : Status.fromThrowable(e.getCause()).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("upload timed out").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }

    /** Retries a call while the coordinator is UNAVAILABLE, with backoff, until the task's deadline or close. */
    private <T> T retryWhileUnavailable(TrainTask t, java.util.function.Supplier<T> call) throws InterruptedException {
        int attempt = 0;
        while (true) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || isCancelled(t) || pastDeadline(t)) {
                    throw e;
                }
                Duration d = backoff.delay(attempt++);
                log.info("coordinator unavailable ({}); retrying in {} ms", e.getStatus().getDescription(), d.toMillis());
                Thread.sleep(Math.max(1, d.toMillis()));
            }
        }
    }

    /** Stops reconnecting, ends the stream, stops the worker (interrupting a training step), closes an owned channel. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        ClientCallStreamObserver<ConnectRequest> s = stream;
        if (s != null) {
            s.cancel("agent closing", null);
        }
        worker.shutdownNow();
        secagg.shutdownNow();
        if (renewals != null) {
            renewals.shutdownNow();
        }
        try {
            control.join(5000);
            if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("training did not stop within 5 s of close");
            }
            if (ownedChannel != null) {
                ownedChannel.shutdown();
                if (!ownedChannel.awaitTermination(5, TimeUnit.SECONDS)) {
                    ownedChannel.shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (ownedChannel != null) {
                ownedChannel.shutdownNow();
            }
        }
        connected = false;
    }
}
