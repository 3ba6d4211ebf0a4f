package io.fedlora.coordinator.service;

import io.fedlora.coordinator.round.ClientChannel;
import io.fedlora.proto.v1.AgentEvent;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;

/** A node's Connect stream as a {@link ClientChannel}. Events are small; gRPC buffers them. */
final class GrpcClientChannel implements ClientChannel {

    private final ServerCallStreamObserver<AgentEvent> stream;
    private boolean closed;

    GrpcClientChannel(ServerCallStreamObserver<AgentEvent> stream) {
        this.stream = stream;
    }

    @Override
    public synchronized boolean send(AgentEvent event) {
        if (closed || stream.isCancelled()) {
            return false;
        }
        try {
            stream.onNext(event);
            return true;
        } catch (RuntimeException e) {
            closed = true;
            return false;
        }
    }

    @Override
    public synchronized void close(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stream.onError(Status.UNAVAILABLE.withDescription(reason).asRuntimeException());
        } catch (RuntimeException ignored) {
            // Already cancelled by the peer: nothing left to close.
        }
    }

    synchronized void markClosed() {
        closed = true;
    }
}
