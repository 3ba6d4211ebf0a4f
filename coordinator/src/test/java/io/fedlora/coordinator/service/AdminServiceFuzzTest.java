package io.fedlora.coordinator.service;

import static io.fedlora.coordinator.service.ServiceFuzzing.assertAllowed;
import static io.fedlora.coordinator.service.ServiceFuzzing.withField;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.ListJobsRequest;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.TensorSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API fed requests parsed from fuzzed bytes, in-process. Every call ends OK or with a
 * status naming a problem of the request or the state (never INTERNAL, UNKNOWN or a hang), and
 * the coordinator goes on listing its jobs. Input: call (1 byte), flags (1 byte: bit 1 a job this
 * run created), then the request. Seeds: a well-formed request of each kind.
 */
class AdminServiceFuzzTest {

    /** Append only: a saved input's first byte picks its call by index. */
    static final String[] CALLS = {"CreateJob", "StartJob", "GetJob", "ListRounds", "WatchJob", "DownloadAdapter",
        "ListJobs", "ListNodes", "PauseJob", "ResumeJob", "CancelJob"};
    /** Adapters this big are an operator's right (the admin is trusted with sizes), but slow to fuzz. */
    private static final long LARGEST_FUZZED_ADAPTER = 1 << 20;
    private static final int TRACKED_JOBS = 16;

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private ManagedChannel channel;
    private AdminServiceGrpc.AdminServiceBlockingStub admin;
    private final List<String> jobs = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir).insecureTransport(true)
                .roundTiming(new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(10))).build(),
                InProcessServerBuilder.forName(name).directExecutor());
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        admin = AdminServiceGrpc.newBlockingStub(channel);
        jobs.add(admin.createJob(CreateJobRequest.newBuilder()
                .setConfig(io.fedlora.coordinator.Fixtures.secureConfig(2, 4, 3, 10)).build()).getJobId());
    }

    @AfterEach
    void stop() throws Exception {
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
        admin.listJobs(ListJobsRequest.getDefaultInstance());
    }

    private Status invoke(String call, int flags, byte[] request) throws InvalidProtocolBufferException {
        var stub = admin.withDeadlineAfter(10, TimeUnit.SECONDS);
        try {
            switch (call) {
                case "CreateJob" -> {
                    CreateJobRequest req = CreateJobRequest.parseFrom(request);
                    if (legitimatelyLarge(req)) {
                        return Status.OK;
                    }
                    String id = stub.createJob(req).getJobId();
                    if (jobs.size() < TRACKED_JOBS) {
                        jobs.add(id);
                    }
                }
                case "StartJob" -> stub.startJob(job(JobRef.parseFrom(request), flags));
                case "GetJob" -> stub.getJob(job(JobRef.parseFrom(request), flags));
                case "ListRounds" -> stub.listRounds(job(JobRef.parseFrom(request), flags));
                case "WatchJob" -> {
                    // A running job's stream stays open: the first answer, or a quiet stream, is enough.
                    try {
                        admin.withDeadlineAfter(50, TimeUnit.MILLISECONDS)
                                .watchJob(job(JobRef.parseFrom(request), flags)).hasNext();
                    } catch (StatusRuntimeException e) {
                        if (e.getStatus().getCode() != Status.Code.DEADLINE_EXCEEDED) {
                            throw e;
                        }
                    }
                }
                case "DownloadAdapter" -> drain(stub.downloadAdapter(job(DownloadAdapterRequest.parseFrom(request), flags)));
                case "ListJobs" -> stub.listJobs(ListJobsRequest.parseFrom(request));
                case "PauseJob" -> stub.pauseJob(job(JobRef.parseFrom(request), flags));
                case "ResumeJob" -> stub.resumeJob(job(JobRef.parseFrom(request), flags));
                case "CancelJob" -> stub.cancelJob(job(JobRef.parseFrom(request), flags));
                default -> stub.listNodes(ListNodesRequest.parseFrom(request));
            }
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    private <M extends com.google.protobuf.Message> M job(M m, int flags) {
        return (flags & 2) != 0 ? withField(m, "job_id", jobs.get((flags >>> 4) % jobs.size())) : m;
    }

    /** A layout that validation must accept by design but that takes long to create: not fuzzed. */
    private static boolean legitimatelyLarge(CreateJobRequest req) {
        BigInteger total = BigInteger.ZERO;
        for (TensorSpec t : req.getConfig().getAdapterLayout().getTensorsList()) {
            BigInteger n = BigInteger.ONE;
            for (long d : t.getShapeList()) {
                n = n.multiply(BigInteger.valueOf(d));
            }
            total = total.add(n);
        }
        return total.compareTo(BigInteger.valueOf(LARGEST_FUZZED_ADAPTER)) > 0
                && total.compareTo(BigInteger.valueOf(Integer.MAX_VALUE / 4)) <= 0;
    }

    private static void drain(Iterator<?> it) {
        while (it.hasNext()) {
            it.next();
        }
    }
}
