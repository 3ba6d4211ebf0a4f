package io.fedlora.client.agent;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.FetchAdapterRequest;
import io.fedlora.proto.v1.Heartbeat;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.RegisterResponse;
import io.fedlora.proto.v1.SubmitUpdateResponse;
import io.fedlora.proto.v1.UpdateHeader;
import io.fedlora.proto.v1.UpdateUpload;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A scripted AgentService for agent tests: records what the agent sends, lets the test push tasks. */
final class FakeCoordinator extends AgentServiceGrpc.AgentServiceImplBase {

    record Upload(UpdateHeader header, byte[] payload, List<Integer> chunkSizes) {}

    final List<RegisterRequest> registrations = new CopyOnWriteArrayList<>();
    final Map<String, StreamObserver<AgentEvent>> streams = new ConcurrentHashMap<>();
    final Map<String, byte[]> adapters = new ConcurrentHashMap<>(); // "job/version" -> safetensors
    final List<Upload> uploads = new CopyOnWriteArrayList<>();
    final AtomicInteger fetches = new AtomicInteger();
    final AtomicInteger connects = new AtomicInteger();
    final List<io.fedlora.proto.v1.DeclineTaskRequest> declines = new CopyOnWriteArrayList<>();
    final List<io.fedlora.proto.v1.MetricsReport> metrics = new CopyOnWriteArrayList<>();

    String addAdapter(String job, int version, FlatAdapter a) {
        byte[] b = a.toSafetensors();
        adapters.put(job + "/" + version, b);
        return Sha256.hex(b);
    }

    void push(String nodeId, AgentEvent e) {
        streams.get(nodeId).onNext(e);
    }

    @Override
    public void register(RegisterRequest req, StreamObserver<RegisterResponse> obs) {
        registrations.add(req);
        String id = req.getNodeId().isEmpty() ? UUID.randomUUID().toString() : req.getNodeId();
        obs.onNext(RegisterResponse.newBuilder().setNodeId(id).build());
        obs.onCompleted();
    }

    @Override
    public void connect(ConnectRequest req, StreamObserver<AgentEvent> obs) {
        connects.incrementAndGet();
        obs.onNext(AgentEvent.newBuilder().setHeartbeat(Heartbeat.newBuilder().setServerTimeMs(1)).build());
        streams.put(req.getNodeId(), obs);
    }

    @Override
    public void fetchAdapter(FetchAdapterRequest req, StreamObserver<Chunk> obs) {
        fetches.incrementAndGet();
        byte[] b = adapters.get(req.getJobId() + "/" + req.getAdapterVersion());
        if (b == null) {
            obs.onError(Status.NOT_FOUND.asRuntimeException());
            return;
        }
        String sha = Sha256.hex(b);
        for (int off = 0; off < b.length; off += 1 << 20) {
            int n = Math.min(1 << 20, b.length - off);
            obs.onNext(Chunk.newBuilder().setOffset(off).setTotalSize(b.length).setSha256(sha)
                    .setData(com.google.protobuf.ByteString.copyFrom(b, off, n)).build());
        }
        obs.onCompleted();
    }

    @Override
    public StreamObserver<UpdateUpload> submitUpdate(StreamObserver<SubmitUpdateResponse> obs) {
        return new StreamObserver<>() {
            UpdateHeader header;
            final ByteArrayOutputStream payload = new ByteArrayOutputStream();
            final List<Integer> sizes = new CopyOnWriteArrayList<>();

            @Override
            public void onNext(UpdateUpload u) {
                if (u.hasHeader()) {
                    header = u.getHeader();
                } else {
                    sizes.add(u.getPayload().size());
                    payload.writeBytes(u.getPayload().toByteArray());
                }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
                uploads.add(new Upload(header, payload.toByteArray(), sizes));
                obs.onNext(SubmitUpdateResponse.newBuilder().setAccepted(true).build());
                obs.onCompleted();
            }
        };
    }

    @Override
    public void declineTask(io.fedlora.proto.v1.DeclineTaskRequest req,
            StreamObserver<io.fedlora.proto.v1.DeclineTaskResponse> obs) {
        declines.add(req);
        obs.onNext(io.fedlora.proto.v1.DeclineTaskResponse.getDefaultInstance());
        obs.onCompleted();
    }

    @Override
    public void reportMetrics(io.fedlora.proto.v1.MetricsReport req,
            StreamObserver<io.fedlora.proto.v1.ReportMetricsResponse> obs) {
        metrics.add(req);
        obs.onNext(io.fedlora.proto.v1.ReportMetricsResponse.getDefaultInstance());
        obs.onCompleted();
    }
}
