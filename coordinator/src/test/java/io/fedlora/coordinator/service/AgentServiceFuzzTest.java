package io.fedlora.coordinator.service;

import static io.fedlora.coordinator.service.ServiceFuzzing.assertAllowed;
import static io.fedlora.coordinator.service.ServiceFuzzing.withField;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DeclineTaskRequest;
import io.fedlora.proto.v1.FetchAdapterRequest;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.MetricsReport;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateUpload;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent API fed requests parsed from fuzzed bytes, in-process, while a secure job runs with
 * four connected agents. Every call ends OK or with a status naming a problem of the request or
 * the state (never INTERNAL, UNKNOWN or a hang), and the coordinator goes on serving its jobs and
 * nodes. Input: call (1 byte), flags (1 byte: bit 0 live node id, bit 1 live job id, bit 2
 * open round), then the request; an upload is a sequence of length-delimited UpdateUploads.
 * Seeds: a well-formed request of each kind.
 */
class AgentServiceFuzzTest {

    static final String[] CALLS = {"Register", "ReportMetrics", "SendSecAgg", "DeclineTask", "FetchAdapter",
        "SubmitUpdate", "Connect"};
    private static final Set<JobState> LIVE = Set.of(JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_COMPLETED,
            JobState.JOB_STATE_FAILED);

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private ManagedChannel channel;
    private AgentServiceGrpc.AgentServiceBlockingStub agent;
    private AdminServiceGrpc.AdminServiceBlockingStub admin;
    private final List<GrpcTestAgent> agents = new ArrayList<>();
    private String jobId;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).insecureTransport(true)
                .roundTiming(new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(10))).build(),
                InProcessServerBuilder.forName(name).directExecutor());
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        agent = AgentServiceGrpc.newBlockingStub(channel);
        admin = AdminServiceGrpc.newBlockingStub(channel);
        for (int i = 0; i < 4; i++) {
            GrpcTestAgent a = new GrpcTestAgent(channel, "node-" + i, 10, false);
            byte[] seed = new byte[32];
            Arrays.fill(seed, (byte) (i + 1));
            a.identityKey = Ed25519PrivateKey.fromSeed(SecretBytes.copyOf(seed)).publicKey().toBytes();
            agents.add(a);
            a.register();
            a.connect();
        }
        jobId = admin.createJob(CreateJobRequest.newBuilder()
                .setConfig(Fixtures.secureConfig(1000, 4, 3, 600)).build()).getJobId();
        admin.startJob(JobRef.newBuilder().setJobId(jobId).build());
        Fixtures.await("the first round's tasks", Duration.ofSeconds(10),
                () -> agents.stream().allMatch(a -> !a.tasks.isEmpty()));
    }

    @AfterEach
    void stop() throws Exception {
        agents.forEach(GrpcTestAgent::close);
        server.close();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @FuzzTest
    void call(byte[] input) {
        if (input.length < 2) {
            return;
        }
        String call = CALLS[(input[0] & 0xff) % CALLS.length];
        int flags = input[1] & 0xff;
        byte[] request = Arrays.copyOfRange(input, 2, input.length);
        try {
            assertAllowed(call, invoke(call, flags, request));
        } catch (InvalidProtocolBufferException notARequest) {
            return;
        }
        // Still serving, and the job is in a state the round loop put it in.
        assertTrue(LIVE.contains(admin.getJob(JobRef.newBuilder().setJobId(jobId).build()).getState()));
        admin.listNodes(ListNodesRequest.getDefaultInstance());
    }

    private Status invoke(String call, int flags, byte[] request) throws InvalidProtocolBufferException {
        var stub = agent.withDeadlineAfter(10, TimeUnit.SECONDS);
        try {
            switch (call) {
                case "Register" -> stub.register(live(RegisterRequest.parseFrom(request), flags));
                case "ReportMetrics" -> stub.reportMetrics(live(MetricsReport.parseFrom(request), flags));
                case "SendSecAgg" -> stub.sendSecAgg(live(SecAggEnvelope.parseFrom(request), flags));
                case "DeclineTask" -> stub.declineTask(live(DeclineTaskRequest.parseFrom(request), flags));
                case "FetchAdapter" -> drain(stub.fetchAdapter(live(FetchAdapterRequest.parseFrom(request), flags)));
                case "SubmitUpdate" -> {
                    return agents.get(0).submit(uploads(request, flags));
                }
                default -> {
                    // Ids of connected agents are left alone: a second stream would replace theirs.
                    Iterator<?> events = stub.connect(ConnectRequest.parseFrom(request));
                    events.next();
                    return Status.OK;
                }
            }
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(call + " failed on the client side", e);
        }
    }

    private List<UpdateUpload> uploads(byte[] request, int flags) throws IOException {
        List<UpdateUpload> out = new ArrayList<>();
        ByteArrayInputStream in = new ByteArrayInputStream(request);
        while (in.available() > 0) {
            UpdateUpload u = UpdateUpload.parseDelimitedFrom(in);
            out.add(live(u, flags));
        }
        return out;
    }

    /** The request with the live ids and round the flags ask for. */
    private <M extends Message> M live(M m, int flags) {
        GrpcTestAgent a = agents.get((flags >>> 4) % agents.size());
        if ((flags & 1) != 0) {
            m = withField(m, "node_id", a.nodeId);
        }
        if ((flags & 2) != 0) {
            m = withField(m, "job_id", jobId);
        }
        if ((flags & 4) != 0) {
            m = withField(m, "round", openRound(a));
        }
        return m;
    }

    private static int openRound(GrpcTestAgent a) {
        int round = 0;
        for (TrainTask t : a.tasks) {
            round = Math.max(round, t.getRound());
        }
        return round;
    }

    private static void drain(Iterator<?> it) {
        while (it.hasNext()) {
            it.next();
        }
    }
}
