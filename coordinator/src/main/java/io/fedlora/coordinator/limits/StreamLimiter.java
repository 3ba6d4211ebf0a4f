package io.fedlora.coordinator.limits;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most N streaming calls open at once per client (see {@link ClientKey}): each holds buffers and,
 * for Connect and WatchJob, lives for hours, so one client could otherwise pin any amount of the
 * coordinator's memory and threads. One more is closed with RESOURCE_EXHAUSTED; a stream's place is
 * given back when it ends however it ends (completed, failed, cancelled by either side).
 */
public final class StreamLimiter implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(StreamLimiter.class);

    private final int maxPerClient;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();
    /** Clients whose current run of refusals has been logged. */
    private final Set<String> refusing = ConcurrentHashMap.newKeySet();

    public StreamLimiter(int maxPerClient) {
        this.maxPerClient = maxPerClient;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getType() == MethodType.UNARY) {
            return next.startCall(call, headers);
        }
        ClientKey key = ClientKey.of(call);
        if (!tryOpen(key.value())) {
            if (refusing.add(key.value())) {
                log.warn("stream limit: {} has {} streaming calls open; refusing more with RESOURCE_EXHAUSTED",
                        key.describe(), maxPerClient);
            }
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("stream limit: at most " + maxPerClient
                    + " streaming calls (Connect, FetchAdapter, SubmitUpdate, WatchJob, DownloadAdapter) may be open at"
                    + " once per client; retry when one of yours has ended"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        refusing.remove(key.value());
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                open.computeIfPresent(key.value(), (k, n) -> n <= 1 ? null : n - 1);
                refusing.remove(key.value());
            }
        };
        ServerCall.Listener<Q> delegate;
        try {
            delegate = next.startCall(call, headers);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    release.run();
                }
            }

            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    release.run();
                }
            }
        };
    }

    private boolean tryOpen(String key) {
        boolean[] admitted = {false};
        open.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= maxPerClient) {
                return n;
            }
            admitted[0] = true;
            return now + 1;
        });
        return admitted[0];
    }

    /** Streaming calls open now, over all clients (for tests: it returns to 0 when they end). */
    int openStreams() {
        return open.values().stream().mapToInt(Integer::intValue).sum();
    }
}
