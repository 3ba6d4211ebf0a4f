package io.fedlora.coordinator.service;

import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.coordinator.CoordinatorException.NotFound;
import io.fedlora.coordinator.CoordinatorException.PermissionDenied;
import io.fedlora.coordinator.JobConfigValidator;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.auth.Caller;
import io.fedlora.coordinator.round.ConnectedNodes;
import io.fedlora.coordinator.round.RoundScheduler;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.FetchAdapterRequest;
import io.fedlora.proto.v1.Heartbeat;
import io.fedlora.proto.v1.MetricsReport;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.RegisterResponse;
import io.fedlora.proto.v1.ReportMetricsResponse;
import io.fedlora.proto.v1.SubmitUpdateResponse;
import io.fedlora.proto.v1.UpdateHeader;
import io.fedlora.proto.v1.UpdateUpload;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The agent-facing API: registration, the Connect push stream, adapter download, update upload.
 * Every call acts for one node, and {@link Caller#requireActingFor} holds a certified agent to its own.
 */
public final class AgentServiceImpl extends AgentServiceGrpc.AgentServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(AgentServiceImpl.class);

    /** Largest payload message accepted in an upload. */
    static final int MAX_PAYLOAD_CHUNK = 1 << 20;
    /** Metric names one node may report for one round, over all its reports. */
    static final int MAX_METRICS_PER_ROUND = 64;

    private final Store store;
    private final Jobs jobs;
    private final ConnectedNodes nodes;
    private final RoundScheduler scheduler;
    private final InstantSource clock;
    private final UploadsInFlight uploads = new UploadsInFlight();

    public AgentServiceImpl(Store store, Jobs jobs, ConnectedNodes nodes, RoundScheduler scheduler, InstantSource clock) {
        this.store = store;
        this.jobs = jobs;
        this.nodes = nodes;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    @Override
    public void register(RegisterRequest req, StreamObserver<RegisterResponse> obs) {
        StatusMapper.unary(obs, () -> {
            List<String> bad = new ArrayList<>();
            if (req.getNodeName().isBlank()) {
                bad.add("node_name: must not be empty");
            }
            for (int i = 0; i < req.getBaseModelSha256Count(); i++) {
                if (!JobConfigValidator.isSha256Hex(req.getBaseModelSha256(i))) {
                    bad.add("base_model_sha256[" + i + "]: must be 64 lowercase hex characters");
                }
            }
            if (req.getNumExamples() < 0) {
                bad.add("num_examples: must be >= 0, got " + req.getNumExamples());
            }
            int keyBytes = req.getIdentityKey().size();
            if (keyBytes != 0 && keyBytes != io.fedlora.crypto.Ed25519PublicKey.SIZE) {
                bad.add("identity_key: must be an Ed25519 public key of 32 bytes, got " + keyBytes);
            }
            if (!bad.isEmpty()) {
                throw new InvalidArgument(String.join("; ", bad));
            }
            String key = io.fedlora.crypto.Bytes.copyOf(req.getIdentityKey().toByteArray()).toHex();
            String id = certifiedNodeId(req, Caller.current());
            var known = id.isEmpty() ? java.util.Optional.<NodeRecord>empty() : store.node(id);
            if (known.isPresent() && known.get().hasIdentityKey() && !known.get().identityKeyHex().equals(key)) {
                // Its SecAgg advertisements are verified against this key: it may not be swapped.
                throw new io.fedlora.coordinator.CoordinatorException.FailedPrecondition("identity_key: node " + id
                        + " registered with a different identity key; a node's key cannot change");
            }
            if (known.isEmpty()) {
                if (!id.isEmpty()) {
                    // E.g. the coordinator's data was reset: the node gets a fresh id and stores it.
                    log.info("node id {} is unknown here; assigning a new one", id);
                }
                id = Caller.current().isAgent() ? Caller.current().subjectId() : UUID.randomUUID().toString();
            }
            store.upsertNode(new NodeRecord(id, req.getNodeName(), req.getBaseModelSha256List(), req.getNumExamples(),
                    req.getDevice(), clock.millis(), key));
            log.info("node {} registered as '{}' ({} examples, {} base models)", id, req.getNodeName(),
                    req.getNumExamples(), req.getBaseModelSha256Count());
            return RegisterResponse.newBuilder().setNodeId(id).build();
        });
    }

    /**
     * The node id a Register may use: an agent with a certificate registers as the node its certificate
     * names, with the identity key its certificate carries (so the cohort's SecAgg keys are the enrolled
     * ones); the development caller may use any id.
     */
    private static String certifiedNodeId(RegisterRequest req, Caller caller) {
        if (!caller.isAgent()) {
            caller.requireActingFor(req.getNodeId());
            return req.getNodeId();
        }
        if (!req.getNodeId().isEmpty()) {
            caller.requireActingFor(req.getNodeId());
        }
        byte[] certified = caller.identityKey().orElseThrow().toBytes();
        if (!java.security.MessageDigest.isEqual(certified, req.getIdentityKey().toByteArray())) {
            throw new PermissionDenied("identity_key: differs from the identity key in this node's certificate");
        }
        return caller.subjectId();
    }

    @Override
    public void connect(ConnectRequest req, StreamObserver<AgentEvent> responses) {
        NodeRecord node;
        try {
            Caller.current().requireActingFor(req.getNodeId());
            node = requireNode(req.getNodeId());
        } catch (RuntimeException e) {
            responses.onError(StatusMapper.toStatus(e));
            return;
        }
        ServerCallStreamObserver<AgentEvent> obs = (ServerCallStreamObserver<AgentEvent>) responses;
        GrpcClientChannel channel = new GrpcClientChannel(obs);
        obs.setOnCancelHandler(() -> {
            channel.markClosed();
            nodes.detach(node.nodeId(), channel);
            touch(node.nodeId());
        });
        // The first heartbeat tells the agent its stream is established.
        channel.send(AgentEvent.newBuilder().setHeartbeat(Heartbeat.newBuilder().setServerTimeMs(clock.millis())).build());
        touch(node.nodeId());
        nodes.attach(node, channel);
    }

    private void touch(String nodeId) {
        try {
            store.touchNode(nodeId, clock.millis());
        } catch (RuntimeException e) {
            log.warn("could not record last-seen time of node {}", nodeId, e);
        }
    }

    private NodeRecord requireNode(String nodeId) {
        if (nodeId.isBlank()) {
            throw new InvalidArgument("node_id: must not be empty");
        }
        return store.node(nodeId).orElseThrow(() -> new NotFound("node_id: no registered node '" + nodeId + "'"));
    }

    @Override
    public void fetchAdapter(FetchAdapterRequest req, StreamObserver<Chunk> responses) {
        try {
            Caller.current().requireActingFor(req.getNodeId());
            requireNode(req.getNodeId());
            ChunkStreamer.stream(jobs.adapter(req.getJobId(), req.getAdapterVersion()), responses);
        } catch (RuntimeException e) {
            responses.onError(StatusMapper.toStatus(e));
        }
    }

    @Override
    public StreamObserver<UpdateUpload> submitUpdate(StreamObserver<SubmitUpdateResponse> responses) {
        return new UploadReceiver(responses, Caller.current());
    }

    /** Reassembles one upload: header first (checked before any payload is buffered), then payload chunks. */
    private final class UploadReceiver implements StreamObserver<UpdateUpload> {
        private final StreamObserver<SubmitUpdateResponse> responses;
        private final Caller caller;
        private UpdateHeader header;
        private Runnable releaseSlot = () -> { };
        private byte[] payload;
        private int filled;
        private boolean finished;

        UploadReceiver(StreamObserver<SubmitUpdateResponse> responses, Caller caller) {
            this.responses = responses;
            this.caller = caller;
        }

        @Override
        public void onNext(UpdateUpload part) {
            if (finished) {
                return;
            }
            try {
                if (header == null) {
                    if (!part.hasHeader()) {
                        throw new InvalidArgument("header: the first message of an upload must be its header");
                    }
                    UpdateHeader h = part.getHeader();
                    caller.requireActingFor(h.getNodeId());
                    long size = scheduler.checkUpdateHeader(h);
                    releaseSlot = uploads.claim(h);
                    header = h;
                    payload = new byte[Math.toIntExact(size)];
                    return;
                }
                if (part.hasHeader()) {
                    throw new InvalidArgument("header: sent more than once");
                }
                int n = part.getPayload().size();
                if (n > MAX_PAYLOAD_CHUNK) {
                    throw new InvalidArgument("payload: a chunk of " + n + " bytes exceeds the 1 MiB limit");
                }
                if (filled + (long) n > payload.length) {
                    throw new InvalidArgument("payload: longer than element_count * 4 = " + payload.length + " bytes");
                }
                part.getPayload().copyTo(payload, filled);
                filled += n;
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        private void fail(RuntimeException e) {
            finish();
            if (header != null) {
                log.info("update from node {} for job {} round {} refused: {}", header.getNodeId(),
                        header.getJobId(), header.getRound(), e.getMessage());
            }
            responses.onError(StatusMapper.toStatus(e));
        }

        @Override
        public void onError(Throwable t) {
            finish();
        }

        /** Drops the buffer and gives the upload's slot back. */
        private void finish() {
            finished = true;
            payload = null;
            releaseSlot.run();
        }

        @Override
        public void onCompleted() {
            if (finished) {
                return;
            }
            try {
                if (header == null) {
                    throw new InvalidArgument("header: upload ended without a header");
                }
                if (filled != payload.length) {
                    throw new InvalidArgument("payload: got " + filled + " bytes, element_count "
                            + header.getElementCount() + " needs " + payload.length);
                }
                MDC.put("job", header.getJobId());
                MDC.put("round", Integer.toString(header.getRound()));
                MDC.put("node", header.getNodeId());
                scheduler.submitUpdate(header, payload);
                touch(header.getNodeId());
            } catch (RuntimeException e) {
                fail(e);
                return;
            } finally {
                MDC.clear();
            }
            finish();
            responses.onNext(SubmitUpdateResponse.newBuilder().setAccepted(true).build());
            responses.onCompleted();
        }
    }

    @Override
    public void reportMetrics(MetricsReport req, StreamObserver<ReportMetricsResponse> obs) {
        StatusMapper.unary(obs, () -> {
            Caller.current().requireActingFor(req.getNodeId());
            requireNode(req.getNodeId());
            if (store.job(req.getJobId()).isEmpty()) {
                throw new io.fedlora.coordinator.CoordinatorException.NotFound("job_id: no job '" + req.getJobId() + "'");
            }
            if (req.getMetricsCount() > 64) {
                throw new io.fedlora.coordinator.CoordinatorException.InvalidArgument("metrics: at most 64 entries");
            }
            for (var m : req.getMetricsMap().entrySet()) {
                if (m.getKey().isEmpty() || m.getKey().length() > 64 || !m.getKey().matches("[a-z0-9_.]+")) {
                    throw new io.fedlora.coordinator.CoordinatorException.InvalidArgument(
                            "metrics: name must be 1-64 characters of [a-z0-9_.]");
                }
                if (!Double.isFinite(m.getValue())) {
                    throw new io.fedlora.coordinator.CoordinatorException.InvalidArgument(
                            "metrics." + m.getKey() + ": must be a finite number");
                }
            }
            requireMetricsRoom(req);
            store.recordNodeMetrics(req.getJobId(), req.getRound(), req.getNodeId(), req.getMetricsMap(), clock.millis());
            log.debug("metrics from node {} for job {} round {}: {}", req.getNodeId(), req.getJobId(), req.getRound(),
                    req.getMetricsMap());
            return ReportMetricsResponse.getDefaultInstance();
        });
    }

    /**
     * Metrics are kept per job, round, node and name: only for rounds the job has run, and at most
     * {@link #MAX_METRICS_PER_ROUND} names per node and round, so reports cannot grow the store without end.
     */
    private void requireMetricsRoom(MetricsReport req) {
        int last = store.lastRound(req.getJobId());
        if (req.getRound() < 1 || req.getRound() > last) {
            throw new NotFound("round: job " + req.getJobId() + " has no round " + req.getRound()
                    + (last == 0 ? " (none has started)" : " (its rounds are 1.." + last + ")"));
        }
        var known = store.nodeMetrics(req.getJobId(), req.getRound(), req.getNodeId());
        long added = req.getMetricsMap().keySet().stream().filter(k -> !known.containsKey(k)).count();
        if (known.size() + added > MAX_METRICS_PER_ROUND) {
            throw new io.fedlora.coordinator.CoordinatorException.ResourceExhausted("metrics: node " + req.getNodeId()
                    + " has reported " + known.size() + " metric names for round " + req.getRound() + " and sends "
                    + added + " more; at most " + MAX_METRICS_PER_ROUND + " per node and round");
        }
    }

    @Override
    public void sendSecAgg(io.fedlora.proto.v1.SecAggEnvelope req,
            StreamObserver<io.fedlora.proto.v1.SendSecAggResponse> obs) {
        StatusMapper.unary(obs, () -> {
            Caller.current().requireActingFor(req.getNodeId());
            requireNode(req.getNodeId());
            MDC.put("job", req.getJobId());
            MDC.put("round", Integer.toString(req.getRound()));
            MDC.put("node", req.getNodeId());
            try {
                scheduler.receiveSecAgg(req);
            } finally {
                MDC.clear();
            }
            touch(req.getNodeId());
            return io.fedlora.proto.v1.SendSecAggResponse.getDefaultInstance();
        });
    }

    @Override
    public void declineTask(io.fedlora.proto.v1.DeclineTaskRequest req,
            StreamObserver<io.fedlora.proto.v1.DeclineTaskResponse> obs) {
        StatusMapper.unary(obs, () -> {
            Caller.current().requireActingFor(req.getNodeId());
            requireNode(req.getNodeId());
            scheduler.declineTask(req);
            return io.fedlora.proto.v1.DeclineTaskResponse.getDefaultInstance();
        });
    }
}
