package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListJobsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminServiceTest {

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private ManagedChannel channel;
    private AdminServiceGrpc.AdminServiceBlockingStub admin;

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
        server.close();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static JobRef ref(String id) {
        return JobRef.newBuilder().setJobId(id).build();
    }

    static byte[] download(AdminServiceGrpc.AdminServiceBlockingStub admin, String jobId, int version) throws Exception {
        Iterator<Chunk> it = admin.downloadAdapter(DownloadAdapterRequest.newBuilder().setJobId(jobId).setVersion(version).build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String sha = null;
        while (it.hasNext()) {
            Chunk c = it.next();
            assertEquals(out.size(), c.getOffset());
            assertTrue(c.getData().size() <= 1 << 20);
            sha = c.getSha256();
            c.getData().writeTo(out);
        }
        byte[] b = out.toByteArray();
        assertEquals(sha, Sha256.hex(b));
        return b;
    }

    @Test
    void createJobReportsAllConfigErrorsAtOnce() {
        JobConfig bad = Fixtures.config(0, 1, 2, 0).toBuilder().setBaseModelSha256("x").build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> admin.createJob(CreateJobRequest.newBuilder().setConfig(bad).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        String msg = e.getStatus().getDescription();
        for (String f : new String[] {"rounds:", "clients_per_round:", "round_deadline_seconds:", "base_model_sha256:"}) {
            assertTrue(msg.contains(f), msg);
        }
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusRuntimeException.class,
                () -> admin.createJob(CreateJobRequest.getDefaultInstance())).getStatus().getCode());
    }

    @Test
    void jobLifecycleAndInitialAdapter() throws Exception {
        JobConfig cfg = Fixtures.config(1, 2, 2, 30);
        Job j = admin.createJob(CreateJobRequest.newBuilder().setConfig(cfg).build());
        assertEquals(JobState.JOB_STATE_CREATED, j.getState());
        assertEquals(0, j.getLatestAdapterVersion());
        byte[] v0 = download(admin, j.getJobId(), 0);
        assertEquals(Sha256.hex(FlatAdapter.initial(cfg.getAdapterLayout(), 42).toSafetensors()), Sha256.hex(v0));
        assertEquals(Sha256.hex(v0), j.getLatestAdapterSha256());
        assertEquals(Sha256.hex(v0), Sha256.hex(download(admin, j.getJobId(), -1)));
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class,
                () -> download(admin, j.getJobId(), 5)).getStatus().getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusRuntimeException.class,
                () -> download(admin, j.getJobId(), -2)).getStatus().getCode());

        assertEquals(JobState.JOB_STATE_RUNNING, admin.startJob(ref(j.getJobId())).getState());
        assertEquals(Status.Code.FAILED_PRECONDITION, assertThrows(StatusRuntimeException.class,
                () -> admin.startJob(ref(j.getJobId()))).getStatus().getCode());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class,
                () -> admin.getJob(ref("ghost"))).getStatus().getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusRuntimeException.class,
                () -> admin.getJob(ref(""))).getStatus().getCode());
        assertEquals(1, admin.listJobs(ListJobsRequest.getDefaultInstance()).getJobsCount());
        assertEquals(0, admin.listRounds(ref(j.getJobId())).getRoundsCount());
        assertFalse(admin.getJob(ref(j.getJobId())).getConfig().getName().isEmpty());
    }
}
