package io.fedlora.coordinator.metrics;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Counts the bytes every gRPC call receives and sends on the wire (after compression, before TLS). */
public final class GrpcTraffic extends ServerStreamTracer.Factory {

    private final Counter received;
    private final Counter sent;

    public GrpcTraffic(MeterRegistry registry) {
        this.received = Counter.builder("fedlora.grpc.received").baseUnit("bytes")
                .description("Bytes of gRPC messages received").register(registry);
        this.sent = Counter.builder("fedlora.grpc.sent").baseUnit("bytes")
                .description("Bytes of gRPC messages sent").register(registry);
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return new ServerStreamTracer() {
            @Override
            public void inboundWireSize(long bytes) {
                received.increment(bytes);
            }

            @Override
            public void outboundWireSize(long bytes) {
                sent.increment(bytes);
            }
        };
    }
}
