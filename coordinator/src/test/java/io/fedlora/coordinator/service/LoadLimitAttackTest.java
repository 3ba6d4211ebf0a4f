package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.limits.LoadLimits;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.EcKeys;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.AuditEntry;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.ListCertificatesRequest;
import io.fedlora.proto.v1.ListJobsRequest;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.MetricsReport;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SubmitUpdateResponse;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.fedlora.proto.v1.UpdateUpload;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile load against a coordinator on a real TLS port on 127.0.0.1: call floods, stream hoarding,
 * enrollment floods and attempts to make the coordinator hold unbounded state. Each gets
 * RESOURCE_EXHAUSTED naming the limit, leaves jobs, rounds, nodes and certificates as they were,
 * and does not slow down any other client.
 */
@Timeout(60)
class LoadLimitAttackTest {

    private static final Metadata.Key<String> PUSHBACK = Metadata.Key.of("grpc-retry-pushback-ms",
            Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    Path dir;

    private final io.fedlora.coordinator.Fixtures.OffsetClock clock = new io.fedlora.coordinator.Fixtures.OffsetClock();
    private CoordinatorServer server;
    private TlsTestClients clients;
    private AdminServiceGrpc.AdminServiceBlockingStub admin;
    private TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust;
    private final List<GrpcTestAgent> agents = new ArrayList<>();
    private final List<Watch> watches = new ArrayList<>();

    private void start(LoadLimits limits) throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).host("127.0.0.1").port(0).insecurePlaintext(true)
                .clock(clock).heartbeatInterval(Duration.ofMillis(200)).loadLimits(limits)
                .roundTiming(new RoundTiming(Duration.ofMillis(20), Duration.ofMillis(20))).build());
        clients = new TlsTestClients(server, dir);
        admin = AdminServiceGrpc.newBlockingStub(clients.adminChannel());
        trust = TrustAdminServiceGrpc.newBlockingStub(clients.adminChannel());
    }

    @AfterEach
    void stop() throws Exception {
        watches.forEach(Watch::cancel);
        agents.forEach(GrpcTestAgent::close);
        if (clients != null) {
            clients.close();
        }
        if (server != null) {
            server.close();
        }
    }

    // ---- call rate ----

    @Test
    void aCallFloodIsCutAtTheRateWithoutAuditEntriesAndOthersAreUnaffected() throws Exception {
        start(LoadLimits.defaults().withCallRate(20, 40));
        String job = createJob();
        var mallory = clients.enrollOperator("mallory", "operator");
        var asMallory = AdminServiceGrpc.newBlockingStub(clients.channel(Optional.of(mallory.credentials())));
        var asVera = AdminServiceGrpc.newBlockingStub(clients.channel(Optional.of(
                clients.enrollOperator("vera", "viewer").credentials())));
        String before = snapshot();

        // StartJob of a job that does not exist: refused, and every refusal would be an audit entry.
        Map<Status.Code, Integer> outcomes = new HashMap<>();
        StatusRuntimeException limited = null;
        long t0 = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> asMallory.startJob(JobRef.newBuilder().setJobId("no-such-job").build()));
            outcomes.merge(e.getStatus().getCode(), 1, Integer::sum);
            if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                limited = e;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int served = outcomes.getOrDefault(Status.Code.NOT_FOUND, 0);
        assertEquals(200, served + outcomes.getOrDefault(Status.Code.RESOURCE_EXHAUSTED, 0), outcomes.toString());
        assertTrue(served >= 40 && served <= 40 + 20 * seconds + 1, served + " served in " + seconds + " s");
        assertNotNull(limited, "the flood was limited");
        assertTrue(limited.getStatus().getDescription().matches(
                "rate limit: more than 20 calls/s \\(bursts of 40\\) from this client; retry in \\d+ ms"),
                limited.getStatus().getDescription());
        long pushbackMs = Long.parseLong(limited.getTrailers().get(PUSHBACK));
        assertTrue(pushbackMs >= 1 && pushbackMs <= 50, "one token comes back every 50 ms: " + pushbackMs);

        // Another operator and the admin were not slowed down, and nothing changed.
        assertEquals(1, asVera.listJobs(ListJobsRequest.getDefaultInstance()).getJobsCount());
        assertEquals(before, snapshot());
        // Only the calls that were served reached the audit log: a flood cannot grow it.
        List<AuditEntry> byMallory = audit().stream().filter(e -> e.getActor().equals(mallory.subjectId())).toList();
        assertEquals(served, byMallory.size());
        assertTrue(byMallory.stream().allMatch(e -> e.getOutcome().equals("NOT_FOUND")));

        // Waiting as told is enough to be served again.
        Thread.sleep(pushbackMs + 5);
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class,
                () -> asMallory.startJob(JobRef.newBuilder().setJobId("no-such-job").build())).getStatus().getCode());
        assertEquals("JOB_STATE_CREATED", admin.getJob(ref(job)).getState().name());
    }

    @Test
    void anEnrollFloodFromOneAddressIsLimitedAndLeavesNoTrace() throws Exception {
        start(LoadLimits.defaults().withAnonymousCallRate(1, 6));
        GrpcTestAgent early = agent("hospital-a", false); // one enrollment from 127.0.0.1: 5 left in the burst
        String before = snapshot();
        var enroll = EnrollmentServiceGrpc.newBlockingStub(clients.anonymous());
        var kp = EcKeys.generateP256(clients.random());
        var id = Ed25519PrivateKey.generate(clients.random());

        Map<Status.Code, Integer> outcomes = new HashMap<>();
        StatusRuntimeException limited = null;
        long t0 = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> enroll.enroll(TlsTestClients.request("flt1.guess", "hospital-x", kp, id)));
            outcomes.merge(e.getStatus().getCode(), 1, Integer::sum);
            if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                limited = e;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int served = outcomes.getOrDefault(Status.Code.UNAUTHENTICATED, 0);
        assertTrue(served >= 5 && served <= 6 + seconds + 1, outcomes + " in " + seconds + " s");
        assertEquals(50, served + outcomes.getOrDefault(Status.Code.RESOURCE_EXHAUSTED, 0), outcomes.toString());
        assertTrue(limited.getStatus().getDescription().startsWith("rate limit: more than 1 calls/s (bursts of 6) from"
                + " this address without a client certificate; retry in "), limited.getStatus().getDescription());
        // The same address without a certificate is cut for the other APIs too (refusals there are audited).
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, assertThrows(StatusRuntimeException.class,
                () -> AdminServiceGrpc.newBlockingStub(clients.anonymous()).listJobs(ListJobsRequest.getDefaultInstance()))
                .getStatus().getCode());

        // Enrolled clients on the same address are counted by certificate and go on as before.
        assertEquals(early.nodeId, early.register());
        assertEquals(before, snapshot());
        long audited = audit().stream().filter(e -> e.getAction().equals("EnrollmentService/Enroll")
                && e.getTarget().contains("hospital-x")).count();
        assertEquals(served, audited, "only the enrollments that were served are in the audit log");

        // After the hinted wait, a real token enrols.
        String token = clients.token("hospital-b", "agent", 600);
        Thread.sleep(Long.parseLong(limited.getTrailers().get(PUSHBACK)) + 10);
        assertFalse(clients.enroll(token, "hospital-b", true).subjectId().isEmpty());
    }

    // ---- streams ----

    @Test
    void aClientHoldsAtMostNStreamsAndEachIsGivenBackWhenItEnds() throws Exception {
        start(LoadLimits.defaults().withStreamsPerClient(3));
        String job = jobWithAnEndedRound();
        var vera = clients.enrollOperator("vera", "viewer");
        ManagedChannel veraChannel = clients.channel(Optional.of(vera.credentials()));
        var asVera = AdminServiceGrpc.newStub(veraChannel);
        String before = snapshot();

        List<Watch> open = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            open.add(Watch.open(asVera, job).admitted());
        }
        watches.addAll(open);
        StatusRuntimeException refused = Watch.open(asVera, job).refusal();
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().startsWith("stream limit: at most 3 streaming calls"),
                refused.getStatus().getDescription());
        // Unary calls, and other clients' streams, are not held back.
        var blocking = AdminServiceGrpc.newBlockingStub(veraChannel);
        assertEquals(1, blocking.listJobs(ListJobsRequest.getDefaultInstance()).getJobsCount());
        watches.add(Watch.open(AdminServiceGrpc.newStub(clients.adminChannel()), job).admitted());

        // Closing one (the client cancels) lets a new one in, and only one.
        open.remove(0).cancel();
        Fixtures.await("a new stream to be admitted", Duration.ofSeconds(5), () -> {
            Watch w = Watch.open(asVera, job);
            watches.add(w);
            if (w.tryAdmitted()) {
                open.add(w);
                return true;
            }
            return false;
        });
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, Watch.open(asVera, job).refusal().getStatus().getCode());

        // No leak: streams the server ends (completed, failed) and streams the client cancels give their place back.
        open.forEach(Watch::cancel);
        for (int i = 0; i < 20; i++) {
            awaitStreamOutcome(Status.Code.OK, () -> blocking.downloadAdapter(DownloadAdapterRequest.newBuilder()
                    .setJobId(job).setVersion(0).build()).forEachRemaining(c -> { }));
            awaitStreamOutcome(Status.Code.NOT_FOUND, () -> blocking.watchJob(ref("no-such-job")).hasNext());
            awaitStreamOutcome(Status.Code.OK, () -> {
                Watch w = Watch.open(asVera, job);
                try {
                    w.first.get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw Status.fromThrowable(e.getCause() == null ? e : e.getCause()).asRuntimeException();
                } finally {
                    w.cancel();
                }
            });
        }
        Fixtures.await("all three places to be free", Duration.ofSeconds(5), () -> {
            List<Watch> three = new ArrayList<>();
            boolean all = true;
            for (int i = 0; i < 3; i++) {
                Watch w = Watch.open(asVera, job);
                three.add(w);
                all &= w.tryAdmitted();
            }
            three.forEach(Watch::cancel);
            return all;
        });
        assertEquals(before, snapshot());
    }

    /** Runs a streaming call until it is not refused for want of room, and checks how it ended. */
    private static void awaitStreamOutcome(Status.Code expected, Runnable call) throws InterruptedException {
        Fixtures.await("room for a stream", Duration.ofSeconds(5), () -> {
            Status.Code got = Status.Code.OK;
            try {
                call.run();
            } catch (StatusRuntimeException e) {
                got = e.getStatus().getCode();
            }
            if (got == Status.Code.RESOURCE_EXHAUSTED) {
                return false;
            }
            assertEquals(expected, got);
            return true;
        });
    }

    // ---- pending work ----

    @Test
    void outstandingEnrollmentTokensAreBounded() throws Exception {
        start(LoadLimits.defaults().withOutstandingEnrollmentTokens(3));
        String first = clients.token("site-1", "agent", 600);
        clients.token("site-2", "agent", 60);
        clients.token("site-3", "agent", 600);
        String before = snapshot();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> clients.token("site-4", "agent", 600));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("enrollment tokens: 3 are outstanding"), e.getStatus().toString());
        assertEquals(before, snapshot());
        assertTrue(audit().stream().anyMatch(a -> a.getAction().equals("TrustAdminService/CreateEnrollmentToken")
                && a.getOutcome().equals("RESOURCE_EXHAUSTED") && a.getTarget().contains("name=site-4")));

        // A used token, and an expired one, make room again.
        clients.enroll(first, "site-1", true);
        clients.token("site-4", "agent", 600);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, assertThrows(StatusRuntimeException.class,
                () -> clients.token("site-5", "agent", 600)).getStatus().getCode());
        clock.advance(Duration.ofSeconds(61));
        assertFalse(clients.token("site-5", "agent", 600).isEmpty());
    }

    @Test
    void aNodeBuffersOneUploadPerRoundAtATime() throws Exception {
        start(LoadLimits.defaults());
        GrpcTestAgent a = agent("hospital-a", false);
        String job = admin.createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 1, 1, 300)).build())
                .getJobId();
        admin.startJob(ref(job));
        TrainTask t = a.tasks.poll(10, TimeUnit.SECONDS);
        assertNotNull(t);
        float[] d = Fixtures.delta(a.name, t.getRound(), 512);
        List<UpdateUpload> parts = GrpcTestAgent.uploads(a.header(t, d), FlatAdapter.toLittleEndian(d));
        var async = AgentServiceGrpc.newStub(a.channel);

        // Two uploads for the same round, each past its header (so each would buffer a whole update): one is refused.
        Upload one = Upload.open(async);
        Upload two = Upload.open(async);
        one.send(parts.get(0));
        two.send(parts.get(0));
        CompletableFuture.anyOf(one.done, two.done).get(5, TimeUnit.SECONDS);
        Upload refused = one.done.isDone() ? one : two;
        Upload open = refused == one ? two : one;
        Status s = refused.done.get();
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
        assertTrue(s.getDescription().contains("already has an upload for job " + job + " round " + t.getRound()),
                s.toString());
        Thread.sleep(100);
        assertFalse(open.done.isDone(), "the first upload goes on");
        assertEquals(0, admin.listRounds(ref(job)).getRounds(0).getContributingNodesCount());

        // A cancelled upload gives its slot back: the node can then upload its update.
        open.cancel();
        Fixtures.await("the update to be accepted", Duration.ofSeconds(5), () -> {
            Status again = Upload.open(async).sendAll(parts);
            assertTrue(again.isOk() || again.getCode() == Status.Code.RESOURCE_EXHAUSTED, again.toString());
            return again.isOk();
        });
        assertEquals("JOB_STATE_COMPLETED", server.awaitJob(job, Duration.ofSeconds(10)).getState().name());
    }

    @Test
    void metricsAreKeptOnlyForRealRoundsAndAFewNamesEach() throws Exception {
        start(LoadLimits.defaults());
        GrpcTestAgent a = agent("hospital-a", true);
        String job = admin.createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 1, 1, 300)).build())
                .getJobId();
        admin.startJob(ref(job));
        server.awaitJob(job, Duration.ofSeconds(10));
        var stub = AgentServiceGrpc.newBlockingStub(a.channel);

        StatusRuntimeException far = assertThrows(StatusRuntimeException.class, () -> stub.reportMetrics(
                metrics(a, job, 1_000_000, 0, 1)));
        assertEquals(Status.Code.NOT_FOUND, far.getStatus().getCode());
        assertTrue(far.getStatus().getDescription().contains("has no round 1000000"), far.getStatus().toString());
        stub.reportMetrics(metrics(a, job, 1, 0, 64));
        stub.reportMetrics(metrics(a, job, 1, 0, 64)); // the same names again: updated, not added
        StatusRuntimeException more = assertThrows(StatusRuntimeException.class, () -> stub.reportMetrics(
                metrics(a, job, 1, 64, 1)));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, more.getStatus().getCode());
        assertTrue(more.getStatus().getDescription().contains("at most 64 per node and round"), more.getStatus().toString());
    }

    // ---- helpers ----

    private static MetricsReport metrics(GrpcTestAgent a, String job, int round, int from, int count) {
        MetricsReport.Builder b = MetricsReport.newBuilder().setNodeId(a.nodeId).setJobId(job).setRound(round);
        for (int i = from; i < from + count; i++) {
            b.putMetrics("m" + i, i);
        }
        return b.build();
    }

    /** A running plaintext job whose round 1 has ended and whose round 2 waits: WatchJob replays round 1 at once. */
    private String jobWithAnEndedRound() throws Exception {
        GrpcTestAgent a = agent("hospital-a", false);
        String job = admin.createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(2, 1, 1, 300)).build())
                .getJobId();
        admin.startJob(ref(job));
        TrainTask t = a.tasks.poll(10, TimeUnit.SECONDS);
        assertNotNull(t);
        FlatAdapter start = FlatAdapter.fromSafetensors(t.getAdapterLayout(), a.fetch(t));
        float[] d = Fixtures.delta(a.name, t.getRound(), start.values().length);
        assertTrue(a.submit(GrpcTestAgent.uploads(a.header(t, d), FlatAdapter.toLittleEndian(d))).isOk());
        assertNotNull(a.tasks.poll(10, TimeUnit.SECONDS), "round 2 started");
        return job;
    }

    /** A WatchJob stream held open by the test: admitted once its first summary (the replay) arrives. */
    private static final class Watch {
        private final CompletableFuture<RoundSummary> first = new CompletableFuture<>();
        private volatile ClientCallStreamObserver<JobRef> call;

        static Watch open(AdminServiceGrpc.AdminServiceStub stub, String job) {
            Watch w = new Watch();
            stub.watchJob(ref(job), new ClientResponseObserver<JobRef, RoundSummary>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<JobRef> s) {
                    w.call = s;
                }

                @Override
                public void onNext(RoundSummary r) {
                    w.first.complete(r);
                }

                @Override
                public void onError(Throwable t) {
                    w.first.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    w.first.completeExceptionally(new AssertionError("the watch ended"));
                }
            });
            return w;
        }

        Watch admitted() throws Exception {
            first.get(5, TimeUnit.SECONDS);
            return this;
        }

        boolean tryAdmitted() {
            try {
                first.get(5, TimeUnit.SECONDS);
                return true;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof StatusRuntimeException s
                        && s.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                    return false;
                }
                throw new AssertionError(e.getCause());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        StatusRuntimeException refusal() throws Exception {
            try {
                first.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof StatusRuntimeException s) {
                    return s;
                }
                throw e;
            }
            cancel();
            throw new AssertionError("the stream was admitted");
        }

        void cancel() {
            if (call != null) {
                call.cancel("test closes the stream", null);
            }
        }
    }

    /** One SubmitUpdate call driven message by message. */
    private static final class Upload {
        private final CompletableFuture<Status> done = new CompletableFuture<>();
        private StreamObserver<UpdateUpload> requests;

        static Upload open(AgentServiceGrpc.AgentServiceStub stub) {
            Upload u = new Upload();
            u.requests = stub.submitUpdate(new StreamObserver<SubmitUpdateResponse>() {
                @Override
                public void onNext(SubmitUpdateResponse r) {}

                @Override
                public void onError(Throwable t) {
                    u.done.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    u.done.complete(Status.OK);
                }
            });
            return u;
        }

        void send(UpdateUpload m) {
            requests.onNext(m);
        }

        Status sendAll(List<UpdateUpload> parts) {
            parts.forEach(requests::onNext);
            requests.onCompleted();
            try {
                return done.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        void cancel() {
            ((ClientCallStreamObserver<UpdateUpload>) requests).cancel("test cancels the upload", null);
        }
    }

    private GrpcTestAgent agent(String name, boolean automatic) throws Exception {
        TlsTestClients.Enrolled e = clients.enrollAgent(name);
        GrpcTestAgent a = new GrpcTestAgent(clients.channel(Optional.of(e.credentials())), name, 10, automatic);
        a.identityKey = e.identity().publicKey().toBytes();
        a.register();
        a.connect();
        agents.add(a);
        return a;
    }

    private String createJob() {
        return admin.createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 5, 5, 30)).build()).getJobId();
    }

    private static JobRef ref(String job) {
        return JobRef.newBuilder().setJobId(job).build();
    }

    private List<AuditEntry> audit() {
        return trust.listAuditLog(ListAuditLogRequest.newBuilder().setLimit(1000).build()).getEntriesList();
    }

    /** Jobs, their rounds, registered nodes and issued certificates, as the admin sees them. */
    private String snapshot() {
        StringBuilder s = new StringBuilder();
        for (Job j : admin.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList()) {
            s.append(j.getJobId()).append(' ').append(j.getState()).append(' ').append(j.getCompletedRounds()).append('\n');
            s.append(admin.listRounds(ref(j.getJobId()))).append('\n');
        }
        admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList().forEach(n -> s.append(n.getNodeId())
                .append(' ').append(n.getNodeName()).append(' ').append(n.getBaseModelSha256List()).append('\n'));
        s.append(trust.listCertificates(ListCertificatesRequest.getDefaultInstance()));
        return s.toString();
    }
}
