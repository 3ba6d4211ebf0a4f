package io.fedlora.coordinator;

import io.fedlora.coordinator.app.CoordinatorApp;
import io.fedlora.coordinator.app.DashboardLogins;
import io.fedlora.coordinator.app.JobFeed;
import io.fedlora.coordinator.app.JobLog;
import io.fedlora.coordinator.app.JobLogAppender;
import io.fedlora.coordinator.app.SubjectRevocation;
import io.fedlora.coordinator.limits.CallRateLimiter;
import io.fedlora.coordinator.limits.StreamLimiter;
import io.fedlora.coordinator.round.ConnectedNodes;
import io.fedlora.coordinator.round.JobEvents;
import io.fedlora.coordinator.round.JobListener;
import io.fedlora.coordinator.round.RoundScheduler;
import io.fedlora.coordinator.service.AdminServiceImpl;
import io.fedlora.coordinator.auth.AuditTrail;
import io.fedlora.coordinator.ha.ActiveLease;
import io.fedlora.coordinator.ha.CoordinatorId;
import io.fedlora.coordinator.auth.CallAuthorizer;
import io.fedlora.coordinator.service.AgentServiceImpl;
import io.fedlora.coordinator.service.EnrollmentServiceImpl;
import io.fedlora.coordinator.service.ServerTimeHeader;
import io.fedlora.coordinator.service.TrustAdminServiceImpl;
import io.fedlora.coordinator.store.BlobStore;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.trust.CertificateRenewal;
import io.fedlora.coordinator.trust.CoordinatorPki;
import io.fedlora.coordinator.trust.Enrollment;
import io.fedlora.coordinator.trust.EnrollmentTokens;
import io.fedlora.coordinator.trust.Revocations;
import io.fedlora.coordinator.trust.ServerTls;
import io.fedlora.coordinator.web.DashboardServer;
import io.fedlora.coordinator.web.DashboardSettings;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.coordinator.metrics.CoordinatorMetrics;
import io.fedlora.coordinator.metrics.MetricsRoute;
import io.fedlora.coordinator.round.RoundObserver;
import io.fedlora.coordinator.service.StoreHealth;
import io.fedlora.coordinator.tracing.RoundTracer;
import io.fedlora.tracing.Tracing;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.util.List;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running coordinator: store, round scheduler and the gRPC agent and admin services. Start with
 * {@link #start(CoordinatorConfig)}; {@link #close()} stops everything in reverse order of start,
 * bounded by the configured shutdown timeout, and rethrows the first failure.
 */
public final class CoordinatorServer implements AutoCloseable {

    static final Duration KEEPALIVE_TIME = Duration.ofSeconds(10);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(CoordinatorServer.class);

    private final CoordinatorConfig config;
    private final Deque<Step> stops = new ArrayDeque<>();
    private Store store;
    private Jobs jobs;
    private JobEvents events;
    private ConnectedNodes nodes;
    private RoundScheduler scheduler;
    private Server server;
    private final HealthStatusManager health = new HealthStatusManager();
    private CoordinatorPki pki;
    private CoordinatorMetrics metrics;
    private MetricsRoute metricsRoute;
    private Tracing tracing;
    private List<Consumer<Router>> dashboardRoutes = List.of();
    private final JobLog jobLog = new JobLog();
    private volatile DashboardLogins dashboardLogins;
    private volatile DashboardServer dashboard;
    private volatile boolean closed;
    private final CompletableFuture<String> leaseLost = new CompletableFuture<>();
    private ActiveLease lease;
    private volatile StoreHealth storeHealth;

    @FunctionalInterface
    private interface Step {
        void run(Duration budget) throws Exception;
    }

    private CoordinatorServer(CoordinatorConfig config) {
        this.config = config;
    }

    /**
     * Starts a coordinator listening on {@code config.host():config.port()}: mutual TLS 1.3 with its
     * CA, or plaintext when {@code config.insecureTransport()} (development only).
     */
    public static CoordinatorServer start(CoordinatorConfig config) throws IOException {
        return start(config, null);
    }

    /**
     * Starts a coordinator on a server builder supplied by the caller (tests pass an in-process one).
     * Message limits, the load limiters (TLS only) and the authorising interceptor are set here. With TLS settings in the config,
     * calls that arrive without a verified client certificate are refused (all but Enroll), so an
     * in-process builder is only useful with {@code insecureTransport}.
     */
    public static CoordinatorServer start(CoordinatorConfig config, ServerBuilder<?> builder) throws IOException {
        return start(config, builder, List.of());
    }

    /**
     * As {@link #start(CoordinatorConfig, ServerBuilder)}, with routes to add to the dashboard's router
     * (for example {@code /metrics}); {@code builder} null = the network listener.
     */
    public static CoordinatorServer start(CoordinatorConfig config, ServerBuilder<?> builder,
            List<Consumer<Router>> dashboardRoutes) throws IOException {
        CoordinatorServer s = new CoordinatorServer(config);
        s.dashboardRoutes = List.copyOf(dashboardRoutes);
        try {
            s.doStart(builder);
            return s;
        } catch (IOException | RuntimeException e) {
            try {
                s.close();
            } catch (RuntimeException e2) {
                e.addSuppressed(e2);
            }
            throw e;
        }
    }

    private void doStart(ServerBuilder<?> suppliedBuilder) throws IOException {
        store = config.database().open();
        stops.push(b -> store.close());
        // Opened before a standby waits (it writes nothing): the S3 client's start-up is then not part of
        // the takeover time.
        BlobStore blobs = config.blobs().open();
        stops.push(b -> blobs.close());
        if (config.standby().enabled()) {
            // Nothing listens before the lease is ours: agents given every coordinator's address find
            // the active one by whichever answers.
            if (config.blobs() instanceof io.fedlora.coordinator.store.BlobSettings.Directory) {
                log.warn("--standby with adapter blobs in a directory ({}): every coordinator must see the same one"
                        + " (a shared file system); --blobs s3://... needs none", config.blobs().describe());
            }
            lease = awaitLease();
            stops.push(b -> lease.close());
        }
        jobs = new Jobs(store, blobs, config.clock(), config.insecurePlaintext());
        nodes = new ConnectedNodes();
        metrics = new CoordinatorMetrics(nodes);
        stops.push(b -> metrics.close());
        if (lease != null) {
            // A change of epoch is a failover: something to alert on.
            io.micrometer.core.instrument.Gauge.builder("fedlora.coordinator.lease.epoch", lease, l -> l.held().epoch())
                    .description("Epoch of the active coordinator's lease this coordinator holds (--standby)")
                    .register(metrics.registry());
        }
        // Read now, so a bad token file stops the start with its name rather than the first scrape.
        metricsRoute = config.observability().metricsTokenFile()
                .map(f -> MetricsRoute.withTokenFile(metrics, f)).orElseGet(() -> MetricsRoute.open(metrics));
        tracing = Tracing.of("fedlora-coordinator", config.observability().otlpEndpoint());
        stops.push(b -> tracing.close());
        events = new JobEvents(tracing.enabled()
                ? RoundObserver.all(List.of(metrics.federation(), new RoundTracer(tracing.openTelemetry())))
                : metrics.federation());
        jobs.onCreated(events::jobChanged);
        JobLogAppender.attach(jobLog).ifPresent(detach -> stops.push(b -> detach.close()));
        SecureRandom random = new SecureRandom();
        Revocations revocations = Revocations.load(store);
        AuditTrail audit = new AuditTrail(store, config.clock());
        if (!config.insecureTransport()) {
            pki = CoordinatorPki.open(config.dataDir(), config.tls(), config.clock(), random);
            pki.ensureLocalAdminCredentials(store);
        } else {
            log.warn("--insecure-transport: plaintext gRPC without client certificates; any process that reaches"
                    + " this port can do anything. For development only.");
        }
        ServerBuilder<?> builder = suppliedBuilder != null ? suppliedBuilder : networkBuilder(revocations);
        nodes.setBarred(revocations::isRevoked);
        scheduler = new RoundScheduler(store, blobs, nodes, events, config.clock(), config.roundTiming(),
                config.insecurePlaintext());
        if (config.insecurePlaintext()) {
            log.warn("--insecure-plaintext: jobs without secure aggregation are accepted; their updates reach this"
                    + " coordinator in the clear. For development only.");
        }
        // Stopping the server is split around the scheduler: refuse new calls first, stop the round
        // loops, end the Connect streams, then wait for the calls still in flight.
        stops.push(b -> {
            if (server != null) {
                awaitServer(b);
            }
        });
        stops.push(b -> nodes.closeAll("coordinator shutting down"));
        stops.push(scheduler::close);

        EnrollmentTokens tokens = new EnrollmentTokens(store, config.clock(), random,
                config.loadLimits().outstandingEnrollmentTokens());
        Optional<Enrollment> enrollment = pki == null ? Optional.empty() : Optional.of(new Enrollment(store, pki, tokens,
                config.tls().clientCertificateValidity(), config.clock()));
        Optional<CertificateRenewal> renewal = pki == null ? Optional.empty() : Optional.of(new CertificateRenewal(store,
                pki, revocations::isRevoked, config.tls().clientCertificateValidity(), config.clock()));
        builder.addService(new AgentServiceImpl(store, jobs, nodes, scheduler, config.clock()))
                .addService(new AdminServiceImpl(jobs, scheduler, events, store, nodes, config.clock(), jobLog))
                .addService(new EnrollmentServiceImpl(enrollment, renewal, caDer()))
                .addService(new TrustAdminServiceImpl(tokens, revocations, nodes, store,
                        () -> pki == null ? "" : pki.caSha256(), config.clock(), () -> dashboard == null ? Optional.empty()
                        : Optional.of(new TrustAdminServiceImpl.DashboardLink(dashboard.url(), dashboardLogins))))
                // The standard gRPC health service (grpc.health.v1): probes and 'fedlora doctor' ask it.
                .addService(health.getHealthService())
                // Server reflection (grpc.reflection.v1), for grpcurl and the like; viewer role or above.
                .addService(ProtoReflectionServiceV1.newInstance())
                .addStreamTracerFactory(metrics.grpcTraffic())
                .intercept(new CallAuthorizer(pki == null, revocations::isRevoked, audit, config.clock()))
                .intercept(new ServerTimeHeader(config.clock()))
                .maxInboundMessageSize(config.maxInboundMessageBytes());
        if (pki != null) {
            // Added last, so they run first: a flood is refused before it costs authorisation or audit work.
            builder.intercept(new StreamLimiter(config.loadLimits().streamsPerClient()))
                    .intercept(new CallRateLimiter(config.loadLimits(), System::nanoTime));
        }
        server = builder.build().start();
        stops.push(b -> server.shutdown());
        storeHealth = new StoreHealth(store, health);
        storeHealth.check();
        stops.push(b -> health.enterTerminalState());
        startDashboard(revocations, tokens, audit);

        ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "coordinator-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = config.heartbeatInterval().toMillis();
        heartbeats.scheduleAtFixedRate(() -> nodes.heartbeat(config.clock().millis()), every, every, TimeUnit.MILLISECONDS);
        long healthEvery = config.observability().healthCheckInterval().toMillis();
        heartbeats.scheduleWithFixedDelay(storeHealth::check, healthEvery, healthEvery, TimeUnit.MILLISECONDS);
        stops.push(b -> {
            heartbeats.shutdownNow();
            heartbeats.awaitTermination(b.toMillis(), TimeUnit.MILLISECONDS);
        });

        scheduler.resumeRunningJobs();
        log.info("coordinator listening on port {} ({}; data in {}, store {}, blobs {})", server.getPort(),
                pki == null ? "PLAINTEXT" : "mutual TLS 1.3", config.dataDir().toAbsolutePath(),
                config.database().describe(), config.blobs().describe());
    }

    private ActiveLease awaitLease() throws IOException {
        try {
            return ActiveLease.await(store, config.standby(), CoordinatorId.loadOrCreate(config.dataDir()),
                    config.host() + ":" + config.port(), this::stepDown);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("stopped while waiting as a standby for the coordinator lease");
        }
    }

    /** The lease went to another coordinator (the store already refuses our writes): stop serving. */
    private void stepDown(String why) {
        leaseLost.complete(why);
        Thread t = new Thread(() -> {
            try {
                close();
            } catch (RuntimeException e) {
                log.warn("stopping after the lease was lost: {}", e.getMessage());
            }
        }, "coordinator-step-down");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Whether this coordinator takes calls and runs rounds now: it has started (as a standby, it holds
     * the lease), its store answered the last health check, and it is not stopping. What a readiness
     * probe asks.
     */
    public boolean serving() {
        StoreHealth h = storeHealth;
        return h != null && !closed && !leaseLost.isDone() && h.serving();
    }

    /**
     * Completes, with the reason, when this coordinator lost the lease to another and is stopping
     * ({@code --standby} only); the process should then exit, to be restarted as a standby.
     */
    public CompletableFuture<String> leaseLost() {
        return leaseLost;
    }

    /** The dashboard's extra routes and {@code GET /metrics} (open, or behind its bearer token). */
    private List<Consumer<Router>> withMetrics(List<Consumer<Router>> routes) {
        List<Consumer<Router>> all = new java.util.ArrayList<>(routes);
        all.add(metricsRoute::mount);
        return all;
    }

    private void startDashboard(Revocations revocations, EnrollmentTokens tokens, AuditTrail audit) throws IOException {
        dashboardLogins = new DashboardLogins(config.clock(), new SecureRandom());
        DashboardSettings settings = config.dashboard();
        if (!settings.enabled()) {
            return;
        }
        if (pki == null && settings.certificateFile().isEmpty()) {
            log.warn("dashboard off: the plaintext development transport has no CA to issue its HTTPS certificate"
                    + " (give --dashboard-cert and --dashboard-key to serve it)");
            return;
        }
        CoordinatorApp app = new CoordinatorApp(jobs, scheduler, store, nodes,
                new SubjectRevocation(revocations, nodes, store, config.clock()), tokens, dashboardLogins, audit,
                new JobFeed(jobs, events), jobLog, config.clock());
        List<String> names = config.tls() == null ? List.of() : config.tls().serverNames();
        dashboard = DashboardServer.start(app, settings, config.host(), Optional.ofNullable(pki), names,
                config.loadLimits(), config.clock(), withMetrics(dashboardRoutes));
        stops.push(dashboard::close);
        log.info("dashboard at {}", dashboard.url());
    }

    /** Ids of the nodes connected now (for tests that must not race a disconnection). */
    public java.util.Set<String> connectedNodeIds() {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        nodes.connectedNodes().forEach(n -> ids.add(n.nodeId()));
        return ids;
    }

    /** Audit entries with {@code seq > afterSeq}, oldest first (for an embedding CLI or tests). */
    public List<io.fedlora.coordinator.store.AuditRecord> auditLog(long afterSeq, int limit) {
        return store.auditLog(afterSeq, limit);
    }

    /** The dashboard's address, {@code https://HOST:PORT/}; empty when it is off. */
    public Optional<String> dashboardUrl() {
        return dashboard == null ? Optional.empty() : Optional.of(dashboard.url());
    }

    /**
     * A one-time sign-in link for the dashboard, {@code https://HOST:PORT/login#token=...}, as
     * {@code fedlora admin dashboard-login} makes (for the demo and tests; not audited here).
     */
    public String dashboardLoginLink(String name, CertificateRole role, Duration ttl) {
        if (dashboard == null) {
            throw new IllegalStateException("the dashboard is off");
        }
        return dashboard.url() + "login#token=" + dashboardLogins.issue(name, role, ttl).token();
    }

    /** The dashboard's one-time sign-in tokens (the gRPC CreateDashboardLogin call makes them too). */
    public DashboardLogins dashboardLogins() {
        return dashboardLogins;
    }

    /** The network listener: TLS with a server certificate issued now by the coordinator's CA, or plaintext. */
    private ServerBuilder<?> networkBuilder(Revocations revocations) throws IOException {
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        if (pki == null) {
            return withKeepAlive(NettyServerBuilder.forAddress(address, InsecureServerCredentials.create()));
        }
        CoordinatorPki.ServerCertificate cert = pki.issueServerCertificate(config.host(), config.tls().serverNames());
        return withKeepAlive(NettyServerBuilder.forAddress(address)
                .sslContext(ServerTls.context(pki, cert, config.clock(), revocations::isRevoked)));
    }

    /**
     * HTTP/2 pings on idle connections: a link cut without a FIN (a pulled cable, a dead host) is noticed
     * within {@link #KEEPALIVE_TIME} + {@link #KEEPALIVE_TIMEOUT}, so the node leaves the eligible set
     * instead of being selected over a dead stream. Heartbeats alone cannot tell: a write to a dead TCP
     * connection succeeds until the kernel gives up, minutes later.
     */
    private static NettyServerBuilder withKeepAlive(NettyServerBuilder builder) {
        return builder.keepAliveTime(KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private byte[] caDer() {
        try {
            return pki == null ? new byte[0] : pki.caCertificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where the local admin's client credentials are ({@code <data-dir>/pki/admin}); empty without TLS. */
    public Optional<Path> adminCredentialsDir() {
        return pki == null ? Optional.empty() : Optional.of(pki.adminCredentialsDir());
    }

    /** The CA certificate file agents and operators trust this coordinator by; empty without TLS. */
    public Optional<Path> caCertificateFile() {
        return pki == null ? Optional.empty() : Optional.of(pki.caCertificateFile());
    }

    private void awaitServer(Duration budget) throws InterruptedException {
        if (!server.awaitTermination(budget.toMillis(), TimeUnit.MILLISECONDS)) {
            server.shutdownNow();
            server.awaitTermination(Math.min(1000, budget.toMillis()), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * {@code GET /metrics} for the dashboard's router ({@code metricsRoute().mount(router)}): open, or
     * behind the bearer token of {@code --metrics-token-file}.
     */
    public MetricsRoute metricsRoute() {
        return metricsRoute;
    }

    /** The meters (Prometheus registry), for an embedding process. */
    public CoordinatorMetrics metrics() {
        return metrics;
    }

    /**
     * The store, for an embedding process and tests (closing it makes the gRPC health service report
     * NOT_SERVING at its next check).
     */
    public Store store() {
        return store;
    }

    /** The bound port (useful with port 0); -1 for transports without one (in-process). */
    public int port() {
        return server.getPort();
    }

    /** Creating and reading jobs directly, for an embedding CLI or tests. */
    public Jobs jobs() {
        return jobs;
    }

    /** Starts a created job, as the admin StartJob call does. */
    public Job startJob(String jobId) {
        return scheduler.startJob(jobId).toProto();
    }

    /** Waits until the job reaches a terminal state (completed or failed) and returns it. */
    public Job awaitJob(String jobId, Duration timeout) throws InterruptedException, TimeoutException {
        CompletableFuture<Job> done = new CompletableFuture<>();
        AutoCloseable sub = events.subscribe(jobId, new JobListener() {
            @Override
            public void onRoundEnded(RoundSummary summary) {}

            @Override
            public void onJobEnded(JobRecord job) {
                done.complete(job.toProto());
            }
        });
        try {
            JobRecord now = jobs.get(jobId);
            if (now.isTerminal()) {
                return now.toProto();
            }
            return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            try {
                sub.close();
            } catch (Exception ignored) {
                // Unsubscribing cannot fail meaningfully.
            }
        }
    }

    /** Stops in reverse order of start within the shutdown timeout; rethrows the first failure. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        Exception first = null;
        while (!stops.isEmpty()) {
            Step s = stops.pop();
            try {
                s.run(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (first == null) {
                    first = e;
                }
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        log.info("coordinator stopped");
        if (first instanceof RuntimeException re) {
            throw re;
        }
        if (first instanceof IOException io) {
            throw new UncheckedIOException(io);
        }
        if (first != null) {
            throw new IllegalStateException("coordinator shutdown failed", first);
        }
    }
}
