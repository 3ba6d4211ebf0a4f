package io.fedlora.client.agent;

import com.google.protobuf.ByteString;
import io.fedlora.adapter.Sha256;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.ConnectRequest;
import io.fedlora.proto.v1.DeclineTaskRequest;
import io.fedlora.proto.v1.FetchAdapterRequest;
import io.fedlora.proto.v1.MetricsReport;
import io.fedlora.proto.v1.RegisterRequest;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.proto.v1.SubmitUpdateResponse;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateHeader;
import io.fedlora.proto.v1.UpdateUpload;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The agent's calls to the coordinator it follows now ({@link CoordinatorLinks#current()}, read at
 * each call, so a retry after a switch goes to the new one), each under the configured call timeout.
 */
final class CoordinatorClient {

    private static final Logger log = AgentNode.LOG;
    static final int CHUNK_BYTES = 1 << 20;

    private final AgentConfig config;
    private final CoordinatorLinks links;
    private final NodeId nodeId;
    private final Backoff backoff;
    /** A task whose calls are no longer worth retrying (cancelled, or the agent is closing). */
    private final Predicate<TrainTask> abandoned;

    CoordinatorClient(AgentConfig config, CoordinatorLinks links, NodeId nodeId, Backoff backoff,
            Predicate<TrainTask> abandoned) {
        this.config = config;
        this.links = links;
        this.nodeId = nodeId;
        this.backoff = backoff;
        this.abandoned = abandoned;
    }

    private long timeoutMs() {
        return config.callTimeout().toMillis();
    }

    /** Registers with the current coordinator; returns the node id it assigned. */
    String register(RegisterRequest request) {
        return links.current().blocking().withDeadlineAfter(timeoutMs(), TimeUnit.MILLISECONDS).register(request)
                .getNodeId();
    }

    /** Opens the Connect stream to the current coordinator. */
    void connect(ClientResponseObserver<ConnectRequest, AgentEvent> observer) {
        links.current().async().connect(ConnectRequest.newBuilder().setNodeId(nodeId.get()).build(), observer);
    }

    /** Tells the coordinator this node will not take part in the task's round; failures are only logged. */
    void decline(TrainTask t, PrivacyGate.Refusal refusal) {
        try {
            links.current().blocking().withDeadlineAfter(timeoutMs(), TimeUnit.MILLISECONDS)
                    .declineTask(DeclineTaskRequest.newBuilder().setNodeId(nodeId.get()).setJobId(t.getJobId())
                            .setRound(t.getRound()).setReason(refusal.reason()).setDetail(refusal.detail()).build());
        } catch (StatusRuntimeException e) {
            log.warn("job {} round {}: could not tell the coordinator ({}); it will count this node as absent",
                    t.getJobId(), t.getRound(), e.getStatus().getCode());
        }
    }

    void reportMetrics(TrainTask t, Map<String, Double> metrics) {
        links.current().blocking().withDeadlineAfter(timeoutMs(), TimeUnit.MILLISECONDS)
                .reportMetrics(MetricsReport.newBuilder().setNodeId(nodeId.get()).setJobId(t.getJobId())
                        .setRound(t.getRound()).putAllMetrics(metrics).build());
    }

    /** One SecAgg stage message, sent once. */
    void sendSecAgg(String job, int round, byte[] wire) {
        links.current().blocking().withDeadlineAfter(timeoutMs(), TimeUnit.MILLISECONDS)
                .sendSecAgg(SecAggEnvelope.newBuilder().setNodeId(nodeId.get()).setJobId(job).setRound(round)
                        .setMessage(ByteString.copyFrom(wire)).build());
    }

    /** One SecAgg stage message for the task's round, retried while the coordinator is unavailable. */
    void sendSecAgg(TrainTask t, byte[] wire) throws InterruptedException {
        retryWhileUnavailable(t, () -> {
            sendSecAgg(t.getJobId(), t.getRound(), wire);
            return Boolean.TRUE;
        });
    }

    /** The task's adapter, retrying the download while the coordinator is unavailable. */
    byte[] fetchAdapter(TrainTask t) throws InterruptedException {
        return retryWhileUnavailable(t, () -> fetch(t));
    }

    /** Uploads an update, retrying while unavailable; ALREADY_EXISTS (an earlier try got through) is success. */
    void submit(TrainTask t, UpdateHeader header, byte[] payload) throws InterruptedException {
        try {
            retryWhileUnavailable(t, () -> upload(header, payload));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                throw e;
            }
            // an earlier attempt got through; only its reply was lost
        }
    }

    private byte[] fetch(TrainTask t) {
        Iterator<Chunk> it = links.current().blocking().withDeadlineAfter(timeoutMs(), TimeUnit.MILLISECONDS)
                .fetchAdapter(FetchAdapterRequest.newBuilder().setNodeId(nodeId.get()).setJobId(t.getJobId())
                        .setAdapterVersion(t.getAdapterVersion()).build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long total = -1;
        while (it.hasNext()) {
            Chunk c = it.next();
            if (total < 0) {
                total = c.getTotalSize();
                if (total < 0 || total > Integer.MAX_VALUE - 64) {
                    throw Status.DATA_LOSS.withDescription("adapter of " + total + " bytes is too large").asRuntimeException();
                }
            }
            if (c.getOffset() != out.size() || c.getTotalSize() != total || out.size() + (long) c.getData().size() > total) {
                throw Status.DATA_LOSS.withDescription("adapter chunks out of order or inconsistent at offset "
                        + c.getOffset()).asRuntimeException();
            }
            out.writeBytes(c.getData().toByteArray());
        }
        byte[] b = out.toByteArray();
        if (b.length != total || !Sha256.hex(b).equals(t.getAdapterSha256())) {
            throw Status.DATA_LOSS.withDescription("downloaded adapter does not match sha256 " + t.getAdapterSha256())
                    .asRuntimeException();
        }
        return b;
    }

    private Boolean upload(UpdateHeader header, byte[] payload) {
        CompletableFuture<SubmitUpdateResponse> reply = new CompletableFuture<>();
        links.current().async().withDeadline(Deadline.after(timeoutMs(), TimeUnit.MILLISECONDS))
                .submitUpdate(new ClientResponseObserver<UpdateUpload, SubmitUpdateResponse>() {
                    private ClientCallStreamObserver<UpdateUpload> requests;
                    private int offset = -1; // -1: header not sent yet
                    private boolean done;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<UpdateUpload> r) {
                        requests = r;
                        r.setOnReadyHandler(this::drain);
                    }

                    /** Sends while the transport can take more, so a large payload is never queued whole. */
                    private synchronized void drain() {
                        while (!done && requests.isReady()) {
                            if (offset < 0) {
                                requests.onNext(UpdateUpload.newBuilder().setHeader(header).build());
                                offset = 0;
                            } else if (offset < payload.length) {
                                int n = Math.min(CHUNK_BYTES, payload.length - offset);
                                requests.onNext(UpdateUpload.newBuilder()
                                        .setPayload(ByteString.copyFrom(payload, offset, n)).build());
                                offset += n;
                            } else {
                                done = true;
                                requests.onCompleted();
                            }
                        }
                    }

                    @Override
                    public void onNext(SubmitUpdateResponse r) {
                        reply.complete(r);
                    }

                    @Override
                    public synchronized void onError(Throwable t) {
                        done = true;
                        reply.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        reply.completeExceptionally(Status.INTERNAL.withDescription("no reply to upload").asRuntimeException());
                    }
                });
        try {
            SubmitUpdateResponse r = reply.get(timeoutMs() + 1000, TimeUnit.MILLISECONDS);
            if (!r.getAccepted()) {
                throw Status.FAILED_PRECONDITION.withDescription("coordinator did not accept the update").asRuntimeException();
            }
            return Boolean.TRUE;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StatusRuntimeException s ? s : Status.fromThrowable(e.getCause()).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("upload timed out").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }

    /** Retries a call while the coordinator is UNAVAILABLE, with backoff, until the task's deadline or close. */
    private <T> T retryWhileUnavailable(TrainTask t, Supplier<T> call) throws InterruptedException {
        int attempt = 0;
        while (true) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || abandoned.test(t) || Rounds.pastDeadline(t)) {
                    throw e;
                }
                Duration d = backoff.delay(attempt++);
                log.info("coordinator unavailable ({}); retrying in {} ms", e.getStatus().getDescription(), d.toMillis());
                Thread.sleep(Math.max(1, d.toMillis()));
            }
        }
    }
}
