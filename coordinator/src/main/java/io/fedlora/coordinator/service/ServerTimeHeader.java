package io.fedlora.coordinator.service;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.InstantSource;

/**
 * Stamps the coordinator's clock (epoch milliseconds) on the headers of every response, so a node can
 * measure its clock skew ({@code fedlora doctor}) without a protocol message of its own. Not secret:
 * it is the time.
 */
public final class ServerTimeHeader implements ServerInterceptor {

    public static final Metadata.Key<String> KEY = Metadata.Key.of("fedlora-server-time-ms",
            Metadata.ASCII_STRING_MARSHALLER);

    private final InstantSource clock;

    public ServerTimeHeader(InstantSource clock) {
        this.clock = clock;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
                responseHeaders.put(KEY, Long.toString(clock.millis()));
                super.sendHeaders(responseHeaders);
            }
        }, headers);
    }
}
