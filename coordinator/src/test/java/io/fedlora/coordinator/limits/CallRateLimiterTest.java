package io.fedlora.coordinator.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobRef;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rate limiter on a clock the test moves, in-process (one client without a certificate). */
class CallRateLimiterTest {

    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger served = new AtomicInteger();
    private final CallRateLimiter limiter = new CallRateLimiter(LoadLimits.defaults().withAnonymousCallRate(2, 3), now::get);
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new AdminServiceGrpc.AdminServiceImplBase() {
                    @Override
                    public void getJob(JobRef req, StreamObserver<Job> obs) {
                        served.incrementAndGet();
                        obs.onNext(Job.getDefaultInstance());
                        obs.onCompleted();
                    }
                }).intercept(limiter).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void theBurstIsServedThenTheRateWithARetryHintAndAnIdleClientIsForgotten() {
        var stub = AdminServiceGrpc.newBlockingStub(channel);
        for (int i = 0; i < 3; i++) {
            stub.getJob(JobRef.getDefaultInstance());
        }
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.getJob(JobRef.getDefaultInstance()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().endsWith("retry in 500 ms"), e.getStatus().getDescription());
        assertEquals("500", e.getTrailers().get(Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER)));
        assertEquals(3, served.get(), "a refused call never reaches the service");

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
        stub.getJob(JobRef.getDefaultInstance());
        assertEquals(4, served.get());
        assertEquals(1, limiter.trackedClients());
    }
}
