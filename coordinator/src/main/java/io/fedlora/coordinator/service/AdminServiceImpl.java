package io.fedlora.coordinator.service;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.app.AppError;
import io.fedlora.coordinator.app.JobFeed;
import io.fedlora.coordinator.auth.Caller;
import io.fedlora.coordinator.round.CohortTransport;
import io.fedlora.coordinator.round.JobEvents;
import io.fedlora.coordinator.round.RoundScheduler;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.ListJobsRequest;
import io.fedlora.proto.v1.ListJobsResponse;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.ListNodesResponse;
import io.fedlora.proto.v1.ListRoundsResponse;
import io.fedlora.proto.v1.Node;
import io.fedlora.proto.v1.RoundSummary;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.InstantSource;

/** The operator-facing API. */
public final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {

    private final Jobs jobs;
    private final RoundScheduler scheduler;
    private final JobFeed feed;
    private final Store store;
    private final CohortTransport transport;
    private final InstantSource clock;

    public AdminServiceImpl(Jobs jobs, RoundScheduler scheduler, JobEvents events, Store store,
            CohortTransport transport, InstantSource clock) {
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.feed = new JobFeed(jobs, events);
        this.store = store;
        this.transport = transport;
        this.clock = clock;
    }

    @Override
    public void createJob(CreateJobRequest req, StreamObserver<Job> obs) {
        StatusMapper.unary(obs, () -> {
            if (!req.hasConfig()) {
                throw new InvalidArgument("config: missing");
            }
            return jobs.create(req.getConfig()).toProto();
        });
    }

    @Override
    public void startJob(JobRef req, StreamObserver<Job> obs) {
        StatusMapper.unary(obs, () -> {
            jobs.get(req.getJobId());
            return scheduler.startJob(req.getJobId()).toProto();
        });
    }

    @Override
    public void pauseJob(JobRef req, StreamObserver<Job> obs) {
        StatusMapper.unary(obs, () -> {
            jobs.get(req.getJobId());
            return scheduler.pauseJob(req.getJobId()).toProto();
        });
    }

    @Override
    public void resumeJob(JobRef req, StreamObserver<Job> obs) {
        StatusMapper.unary(obs, () -> {
            jobs.get(req.getJobId());
            return scheduler.resumeJob(req.getJobId()).toProto();
        });
    }

    @Override
    public void cancelJob(JobRef req, StreamObserver<Job> obs) {
        StatusMapper.unary(obs, () -> {
            jobs.get(req.getJobId());
            return scheduler.cancelJob(req.getJobId(), Caller.current().toString()).toProto();
        });
    }

    @Override
    public void getJob(JobRef req, StreamObserver<Job> obs) {
        StatusMapper.unary(obs, () -> jobs.get(req.getJobId()).toProto());
    }

    @Override
    public void listJobs(ListJobsRequest req, StreamObserver<ListJobsResponse> obs) {
        StatusMapper.unary(obs, () -> ListJobsResponse.newBuilder()
                .addAllJobs(jobs.list().stream().map(JobRecord::toProto).toList()).build());
    }

    @Override
    public void listRounds(JobRef req, StreamObserver<ListRoundsResponse> obs) {
        StatusMapper.unary(obs, () -> ListRoundsResponse.newBuilder().addAllRounds(jobs.rounds(req.getJobId())).build());
    }

    /**
     * Replays the rounds that have already ended, then streams each round as it ends, and completes
     * when the job ends (at once if it already has): the application layer's {@link JobFeed}.
     */
    @Override
    public void watchJob(JobRef req, StreamObserver<RoundSummary> responses) {
        ServerCallStreamObserver<RoundSummary> obs = (ServerCallStreamObserver<RoundSummary>) responses;
        AutoCloseable feed = this.feed.open(req.getJobId(), new JobFeed.Sink() {
            @Override
            public void round(RoundSummary round) {
                obs.onNext(round);
            }

            @Override
            public void ended(JobRecord job) {
                obs.onCompleted();
            }

            @Override
            public void failed(AppError error) {
                obs.onError(error.grpcStatus().asRuntimeException());
            }
        });
        obs.setOnCancelHandler(() -> {
            try {
                feed.close();
            } catch (Exception ignored) {
                // Unsubscribing cannot fail in a way the caller could act on.
            }
        });
    }

    @Override
    public void listNodes(ListNodesRequest req, StreamObserver<ListNodesResponse> obs) {
        StatusMapper.unary(obs, () -> {
            ListNodesResponse.Builder b = ListNodesResponse.newBuilder();
            long now = clock.millis();
            for (NodeRecord n : store.nodes()) {
                boolean connected = transport.isConnected(n.nodeId());
                b.addNodes(Node.newBuilder()
                        .setNodeId(n.nodeId())
                        .setNodeName(n.nodeName())
                        .setConnected(connected)
                        .setLastSeenUnixMs(connected ? now : n.lastSeenUnixMs())
                        .setNumExamples(n.numExamples())
                        .addAllBaseModelSha256(n.baseModels()));
            }
            return b.build();
        });
    }

    @Override
    public void downloadAdapter(DownloadAdapterRequest req, StreamObserver<Chunk> responses) {
        try {
            ChunkStreamer.stream(jobs.adapter(req.getJobId(), req.getVersion()), responses);
        } catch (RuntimeException e) {
            responses.onError(StatusMapper.toStatus(e));
        }
    }
}
