package io.fedlora.coordinator.service;

import com.google.protobuf.ByteString;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.FetchAdapterRequest;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.SubmitUpdateResponse;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import io.fedlora.proto.v1.UpdateUpload;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bare gRPC agent for coordinator tests (the real one lives in client-node, which this module
 * cannot see). In automatic mode it answers each TrainTask with {@link Fixtures#delta}; in manual
 * mode it only queues the tasks for the test to act on.
 */
final class GrpcTestAgent implements AutoCloseable {

    final String name;
    final long examples;
    private final boolean automatic;
    private final AgentServiceGrpc.AgentServiceBlockingStub blocking;
    private final AgentServiceGrpc.AgentServiceStub async;
    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private volatile ClientCallStreamObserver<ConnectRequest> stream;
    volatile String nodeId = "";
    /** The Ed25519 public key registered with the node; empty for none (plaintext jobs only). */
    volatile ByteString identityKey = ByteString.EMPTY;
    final BlockingQueue<TrainTask> tasks = new LinkedBlockingQueue<>();
    final AtomicInteger accepted = new AtomicInteger();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    GrpcTestAgent(Channel channel, String name, long examples, boolean automatic) {
        this.name = name;
        this.examples = examples;
        this.automatic = automatic;
        this.blocking = AgentServiceGrpc.newBlockingStub(channel);
        this.async = AgentServiceGrpc.newStub(channel);
    }

    String register() {
        nodeId = blocking.register(RegisterRequest.newBuilder().setNodeId(nodeId).setNodeName(name)
                .addBaseModelSha256(Fixtures.MODEL_SHA).setNumExamples(examples).setDevice("cpu").setIdentityKey(identityKey)
                .build()).getNodeId();
        return nodeId;
    }

    /** Opens the Connect stream and returns once the coordinator's first heartbeat arrives. */
    void connect() throws Exception {
        CompletableFuture<Void> first = new CompletableFuture<>();
        async.connect(ConnectRequest.newBuilder().setNodeId(nodeId).build(),
                new ClientResponseObserver<ConnectRequest, AgentEvent>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ConnectRequest> s) {
                        stream = s;
                    }

                    @Override
                    public void onNext(AgentEvent e) {
                        first.complete(null);
                        if (e.hasTrain()) {
                            tasks.add(e.getTrain());
                            if (automatic) {
                                worker.execute(() -> work(e.getTrain()));
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        first.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        first.get(10, TimeUnit.SECONDS);
    }

    private void work(TrainTask t) {
        try {
            FlatAdapter start = FlatAdapter.fromSafetensors(t.getAdapterLayout(), fetch(t));
            float[] d = Fixtures.delta(name, t.getRound(), start.values().length);
            Status s = submit(uploads(header(t, d), FlatAdapter.toLittleEndian(d)));
            if (s.isOk()) {
                accepted.incrementAndGet();
            } else {
                errors.add(s.asRuntimeException());
            }
        } catch (Throwable e) {
            errors.add(e);
        }
    }

    byte[] fetch(TrainTask t) throws java.io.IOException {
        Iterator<Chunk> it = blocking.fetchAdapter(FetchAdapterRequest.newBuilder().setNodeId(nodeId)
                .setJobId(t.getJobId()).setAdapterVersion(t.getAdapterVersion()).build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (it.hasNext()) {
            Chunk c = it.next();
            if (c.getOffset() != out.size() || c.getData().size() > (1 << 20) || !c.getSha256().equals(t.getAdapterSha256())) {
                throw new AssertionError("bad chunk at " + c.getOffset());
            }
            c.getData().writeTo(out);
        }
        byte[] b = out.toByteArray();
        if (!Sha256.hex(b).equals(t.getAdapterSha256())) {
            throw new AssertionError("adapter sha mismatch");
        }
        return b;
    }

    UpdateHeader header(TrainTask t, float[] d) {
        return UpdateHeader.newBuilder()
                .setNodeId(nodeId)
                .setJobId(t.getJobId())
                .setRound(t.getRound())
                .setBaseAdapterVersion(t.getAdapterVersion())
                .setNumExamples(examples)
                .setEncoding(UpdateEncoding.UPDATE_ENCODING_PLAINTEXT_F32)
                .setElementCount(d.length)
                .setPayloadSha256(Sha256.hex(FlatAdapter.toLittleEndian(d)))
                .setTrainLoss(1.5)
                .setTrainSeconds(0.25)
                .build();
    }

    static List<UpdateUpload> uploads(UpdateHeader h, byte[] payload) {
        List<UpdateUpload> l = new java.util.ArrayList<>();
        l.add(UpdateUpload.newBuilder().setHeader(h).build());
        for (int off = 0; off < payload.length; off += 1 << 20) {
            int n = Math.min(1 << 20, payload.length - off);
            l.add(UpdateUpload.newBuilder().setPayload(ByteString.copyFrom(payload, off, n)).build());
        }
        return l;
    }

    /** Sends the messages as one SubmitUpdate call; returns its status (OK when accepted). */
    Status submit(List<UpdateUpload> messages) throws Exception {
        CompletableFuture<Status> done = new CompletableFuture<>();
        StreamObserver<UpdateUpload> up = async.submitUpdate(new StreamObserver<>() {
            @Override
            public void onNext(SubmitUpdateResponse r) {
                if (!r.getAccepted()) {
                    done.complete(Status.UNKNOWN.withDescription("not accepted"));
                }
            }

            @Override
            public void onError(Throwable t) {
                done.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                done.complete(Status.OK);
            }
        });
        for (UpdateUpload m : messages) {
            up.onNext(m);
        }
        up.onCompleted();
        return done.get(10, TimeUnit.SECONDS);
    }

    /** Drops the Connect stream, as a crashed agent would. */
    void disconnect() {
        ClientCallStreamObserver<ConnectRequest> s = stream;
        if (s != null) {
            s.cancel("agent going away", null);
        }
    }

    @Override
    public void close() {
        disconnect();
        worker.shutdownNow();
    }
}
