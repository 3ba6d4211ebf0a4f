package io.fedlora.coordinator.service;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.app.AppError;
import io.fedlora.coordinator.app.JobFeed;
import io.fedlora.coordinator.app.JobLog;
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
import io.fedlora.proto.v1.JobLogLine;
import io.fedlora.proto.v1.WatchJobLogRequest;
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
    private final JobLog jobLog;
    private final JobEvents events;
    private final Store store;
    private final CohortTransport transport;
    private final InstantSource clock;

    public AdminServiceImpl(Jobs jobs, RoundScheduler scheduler, JobEvents events, Store store,
            CohortTransport transport, InstantSource clock) {
        this(jobs, scheduler, events, store, transport, clock, new JobLog());
    }

    public AdminServiceImpl(Jobs jobs, RoundScheduler scheduler, JobEvents events, Store store,
            CohortTransport transport, InstantSource clock, JobLog jobLog) {
        this.jobLog = jobLog;
        this.events = events;
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
        obs.setOnCancelHandler(() -> closeQuietly(feed));
    }

    /** Recent lines, then (with follow) new ones until the job ends; lines come from the job's MDC-tagged log. */
    @Override
    public void watchJobLog(WatchJobLogRequest req, StreamObserver<JobLogLine> responses) {
        ServerCallStreamObserver<JobLogLine> obs = (ServerCallStreamObserver<JobLogLine>) responses;
        JobRecord job;
        try {
            job = jobs.get(req.getJobId());
            if (req.getTail() < 0 || req.getTail() > JobLog.LINES_PER_JOB) {
                throw new InvalidArgument("tail: 0.." + JobLog.LINES_PER_JOB + ", got " + req.getTail());
            }
        } catch (RuntimeException e) {
            obs.onError(StatusMapper.toStatus(e));
            return;
        }
        Object lock = new Object();
        boolean[] done = {false};
        java.util.function.Consumer<JobLog.Line> send = l -> {
            synchronized (lock) {
                if (!done[0]) {
                    obs.onNext(JobLogLine.newBuilder().setUnixMs(l.unixMs()).setLevel(l.level())
                            .setMessage(l.message()).build());
                }
            }
        };
        Runnable finish = () -> {
            synchronized (lock) {
                if (!done[0]) {
                    done[0] = true;
                    obs.onCompleted();
                }
            }
        };
        if (!req.getFollow() || job.isTerminal()) {
            jobLog.recent(req.getJobId(), req.getTail() == 0 ? 200 : req.getTail()).forEach(send);
            finish.run();
            return;
        }
        // Follow first, then send the backlog: a line may come twice at the seam, never be lost.
        java.util.List<JobLog.Line> live = new java.util.ArrayList<>();
        boolean[] backlogSent = {false};
        AutoCloseable following = jobLog.follow(req.getJobId(), l -> {
            synchronized (lock) {
                if (backlogSent[0]) {
                    send.accept(l);
                } else {
                    live.add(l);
                }
            }
        });
        AutoCloseable ends = events.subscribe(req.getJobId(), new io.fedlora.coordinator.round.JobListener() {
            @Override
            public void onRoundEnded(RoundSummary summary) {}

            @Override
            public void onJobEnded(JobRecord j) {
                finish.run();
                closeQuietly(following);
            }
        });
        obs.setOnCancelHandler(() -> {
            synchronized (lock) {
                done[0] = true;
            }
            closeQuietly(following);
            closeQuietly(ends);
        });
        synchronized (lock) {
            jobLog.recent(req.getJobId(), req.getTail() == 0 ? 200 : req.getTail()).forEach(send);
            live.forEach(send);
            backlogSent[0] = true;
        }
        if (jobs.get(req.getJobId()).isTerminal()) { // it ended before the subscription took
            finish.run();
            closeQuietly(following);
            closeQuietly(ends);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Unsubscribing cannot fail in a way the caller could act on.
        }
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
