package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.FetchAdapterRequest;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import io.fedlora.proto.v1.UpdateUpload;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The agent service in-process: registration, connect, fetch, and every way an upload is refused. */
class AgentServiceTest {

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private ManagedChannel channel;
    private AdminServiceGrpc.AdminServiceBlockingStub admin;
    private final List<GrpcTestAgent> agents = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).insecurePlaintext(true).insecureTransport(true)
                .roundTiming(new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(10))).build(),
                InProcessServerBuilder.forName(name).directExecutor());
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        admin = AdminServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void stop() throws Exception {
        agents.forEach(GrpcTestAgent::close);
        server.close();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private GrpcTestAgent agent(String name, long examples) throws Exception {
        GrpcTestAgent a = new GrpcTestAgent(channel, name, examples, false);
        agents.add(a);
        a.register();
        a.connect();
        return a;
    }

    private static void assertCode(Status.Code code, String fieldInMessage, Status s) {
        assertEquals(code, s.getCode(), () -> "status " + s);
        if (fieldInMessage != null) {
            assertTrue(s.getDescription() != null && s.getDescription().contains(fieldInMessage),
                    () -> "expected '" + fieldInMessage + "' in: " + s.getDescription());
        }
    }

    private static void assertCode(Status.Code code, Executable call) {
        try {
            call.execute();
        } catch (StatusRuntimeException e) {
            assertEquals(code, e.getStatus().getCode(), e::toString);
            return;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        throw new AssertionError("expected " + code);
    }

    @Test
    void registerKeepsIdAndValidates() throws Exception {
        var stub = AgentServiceGrpc.newBlockingStub(channel);
        RegisterRequest req = RegisterRequest.newBuilder().setNodeName("n").addBaseModelSha256(Fixtures.MODEL_SHA)
                .setNumExamples(3).build();
        String id = stub.register(req).getNodeId();
        assertEquals(id, stub.register(req.toBuilder().setNodeId(id).setNumExamples(9).build()).getNodeId());
        assertEquals(9, admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodes(0).getNumExamples());
        assertCode(Status.Code.INVALID_ARGUMENT, () -> stub.register(req.toBuilder().setNodeName("").build()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> stub.register(req.toBuilder().addBaseModelSha256("nope").build()));
        assertCode(Status.Code.NOT_FOUND, () -> stub.connect(ConnectRequest.newBuilder().setNodeId("ghost").build()).next());
        assertCode(Status.Code.NOT_FOUND, () -> stub.fetchAdapter(
                FetchAdapterRequest.newBuilder().setNodeId(id).setJobId("ghost").build()).next());
    }

    @Test
    void badSubmissionsAreRefusedAndLeaveTheRoundUnchanged() throws Exception {
        Map<String, GrpcTestAgent> byId = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            GrpcTestAgent a = agent("node-" + i, 10L * (i + 1));
            byId.put(a.nodeId, a);
        }
        var cfg = Fixtures.config(1, 2, 2, 600);
        String jobId = admin.createJob(CreateJobRequest.newBuilder().setConfig(cfg).build()).getJobId();
        admin.startJob(JobRef.newBuilder().setJobId(jobId).build());

        // Two of the three get the task.
        List<GrpcTestAgent> selected = new ArrayList<>();
        GrpcTestAgent unselected = null;
        Fixtures.await("tasks", Duration.ofSeconds(10), () -> byId.values().stream().filter(a -> !a.tasks.isEmpty()).count() == 2);
        for (GrpcTestAgent a : byId.values()) {
            if (a.tasks.isEmpty()) {
                unselected = a;
            } else {
                selected.add(a);
            }
        }
        assertNotNull(unselected);
        GrpcTestAgent s1 = selected.get(0);
        GrpcTestAgent s2 = selected.get(1);
        TrainTask task = s1.tasks.peek();
        assertEquals(1, task.getRound());
        int n = FlatAdapter.fromSafetensors(cfg.getAdapterLayout(), s1.fetch(task)).values().length;
        float[] d1 = Fixtures.delta(s1.name, 1, n);
        byte[] p1 = FlatAdapter.toLittleEndian(d1);
        UpdateHeader h1 = s1.header(task, d1);
        Function<UpdateHeader, List<UpdateUpload>> with = h -> GrpcTestAgent.uploads(h, p1);

        // Wrong round, not selected, base version, unknown job: state problems.
        assertCode(Status.Code.FAILED_PRECONDITION, "round", s1.submit(with.apply(h1.toBuilder().setRound(2).build())));
        assertCode(Status.Code.FAILED_PRECONDITION, "not selected",
                unselected.submit(GrpcTestAgent.uploads(unselected.header(task, d1), p1)));
        assertCode(Status.Code.FAILED_PRECONDITION, "base_adapter_version",
                s1.submit(with.apply(h1.toBuilder().setBaseAdapterVersion(3).build())));
        assertCode(Status.Code.NOT_FOUND, "job_id", s1.submit(with.apply(h1.toBuilder().setJobId("ghost").build())));
        assertCode(Status.Code.NOT_FOUND, "node_id", s1.submit(with.apply(h1.toBuilder().setNodeId("ghost").build())));
        // Malformed requests.
        assertCode(Status.Code.INVALID_ARGUMENT, "element_count",
                s1.submit(with.apply(h1.toBuilder().setElementCount(n - 1).build())));
        assertCode(Status.Code.INVALID_ARGUMENT, "payload",
                s1.submit(GrpcTestAgent.uploads(h1, java.util.Arrays.copyOf(p1, p1.length - 4))));
        assertCode(Status.Code.INVALID_ARGUMENT, "payload",
                s1.submit(GrpcTestAgent.uploads(h1, java.util.Arrays.copyOf(p1, p1.length + 4))));
        assertCode(Status.Code.INVALID_ARGUMENT, "payload_sha256",
                s1.submit(with.apply(h1.toBuilder().setPayloadSha256(Sha256.hex(new byte[1])).build())));
        assertCode(Status.Code.INVALID_ARGUMENT, "encoding",
                s1.submit(with.apply(h1.toBuilder().setEncoding(UpdateEncoding.UPDATE_ENCODING_UNSPECIFIED).build())));
        assertCode(Status.Code.INVALID_ARGUMENT, "num_examples",
                s1.submit(with.apply(h1.toBuilder().setNumExamples(0).build())));
        assertCode(Status.Code.INVALID_ARGUMENT, "eval.exact_match", s1.submit(with.apply(h1.toBuilder()
                .setEval(io.fedlora.proto.v1.HeldOutScore.newBuilder().setExactMatch(1.5)).build())));
        assertCode(Status.Code.INVALID_ARGUMENT, "eval.loss", s1.submit(with.apply(h1.toBuilder()
                .setEval(io.fedlora.proto.v1.HeldOutScore.newBuilder().setLoss(Double.NaN)).build())));
        assertCode(Status.Code.INVALID_ARGUMENT, "base_precision",
                s1.submit(with.apply(h1.toBuilder().setBasePrecision("NF4; DROP TABLE").build())));
        assertCode(Status.Code.INVALID_ARGUMENT, "header",
                s1.submit(List.of(UpdateUpload.newBuilder().setPayload(ByteString.copyFrom(p1, 0, 8)).build())));
        float[] nan = d1.clone();
        nan[17] = Float.NaN;
        byte[] pn = FlatAdapter.toLittleEndian(nan);
        assertCode(Status.Code.INVALID_ARGUMENT, "element 17",
                s1.submit(GrpcTestAgent.uploads(h1.toBuilder().setPayloadSha256(Sha256.hex(pn)).build(), pn)));

        // None of that touched the round: a valid update is still accepted, then a duplicate is not.
        UpdateHeader scored = h1.toBuilder().setEval(io.fedlora.proto.v1.HeldOutScore.newBuilder().setExactMatch(0.75)
                .setLoss(1.25)).setBasePrecision("nf4").build();
        assertEquals(Status.Code.OK, s1.submit(with.apply(scored)).getCode());
        assertCode(Status.Code.ALREADY_EXISTS, "already submitted", s1.submit(with.apply(h1)));
        assertEquals(JobState.JOB_STATE_RUNNING, admin.getJob(JobRef.newBuilder().setJobId(jobId).build()).getState());

        float[] d2 = Fixtures.delta(s2.name, 1, n);
        assertEquals(Status.Code.OK, s2.submit(GrpcTestAgent.uploads(s2.header(task, d2), FlatAdapter.toLittleEndian(d2))).getCode());
        Fixtures.await("job completion", Duration.ofSeconds(10),
                () -> admin.getJob(JobRef.newBuilder().setJobId(jobId).build()).getState() == JobState.JOB_STATE_COMPLETED);
        // Late: the round has closed.
        assertCode(Status.Code.FAILED_PRECONDITION, "not running", s2.submit(with.apply(h1)));

        RoundSummary r = admin.listRounds(JobRef.newBuilder().setJobId(jobId).build()).getRounds(0);
        assertEquals(RoundState.ROUND_STATE_COMPLETED, r.getState());
        assertEquals(List.of(s1.nodeId, s2.nodeId), r.getContributingNodesList());
        assertEquals(s1.examples + s2.examples, r.getTotalExamples());
        assertEquals(1, r.getEval().getNodes(), "only s1 sent a held-out score");
        assertEquals(0.75, r.getEval().getExactMatch());
        assertEquals(1.25, r.getEval().getLoss());
        assertEquals(List.of("nf4"), r.getBasePrecisionsList(), "s2 did not say; s1 trained against an nf4 base");
        FlatAdapter v0 = FlatAdapter.initial(cfg.getAdapterLayout(), cfg.getLora().getASeed());
        FlatAdapter v1 = FlatAdapter.fromSafetensors(cfg.getAdapterLayout(),
                server.jobs().adapter(jobId, -1).data());
        double[] expected = Fixtures.fedAvgReference(v0.values(), Map.of(d1, s1.examples, d2, s2.examples));
        assertTrue(Fixtures.maxAbsDiff(expected, v1) < 1e-6);
    }

    @Test
    void nodeWhoseStreamDropsIsCountedAsDropped() throws Exception {
        List<GrpcTestAgent> as = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            as.add(agent("node-" + i, 5));
        }
        String jobId = admin.createJob(CreateJobRequest.newBuilder().setConfig(Fixtures.config(1, 3, 2, 600)).build()).getJobId();
        admin.startJob(JobRef.newBuilder().setJobId(jobId).build());
        Fixtures.await("tasks", Duration.ofSeconds(10), () -> as.stream().allMatch(a -> !a.tasks.isEmpty()));
        as.get(0).disconnect();
        for (GrpcTestAgent a : as.subList(1, 3)) {
            TrainTask t = a.tasks.peek();
            int n = (int) io.fedlora.adapter.LoraLayouts.totalElements(t.getAdapterLayout());
            float[] d = Fixtures.delta(a.name, 1, n);
            assertEquals(Status.Code.OK, a.submit(GrpcTestAgent.uploads(a.header(t, d), FlatAdapter.toLittleEndian(d))).getCode());
        }
        // 600 s deadline: completing now means the dropped node was not waited for.
        Fixtures.await("job completion", Duration.ofSeconds(10),
                () -> admin.getJob(JobRef.newBuilder().setJobId(jobId).build()).getState() == JobState.JOB_STATE_COMPLETED);
        assertEquals(2, admin.listRounds(JobRef.newBuilder().setJobId(jobId).build()).getRounds(0).getContributingNodesCount());
        var nodes = admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
        assertEquals(1, nodes.stream().filter(x -> !x.getConnected()).count());
    }
}
