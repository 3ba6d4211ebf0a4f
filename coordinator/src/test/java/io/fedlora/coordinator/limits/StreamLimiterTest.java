package io.fedlora.coordinator.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.Fixtures;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.RoundSummary;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stream count under every way a stream can end, in-process (one client). A service double
 * keeps WatchJob open until the test ends it, completes DownloadAdapter at once, and fails GetJob.
 */
class StreamLimiterTest {

    private final StreamLimiter limiter = new StreamLimiter(2);
    /** The server's end of each open WatchJob, by the job id the test named it with. */
    private final Map<String, ServerCallStreamObserver<RoundSummary>> serverSide = new ConcurrentHashMap<>();
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(new AdminServiceGrpc.AdminServiceImplBase() {
            @Override
            public void watchJob(JobRef req, StreamObserver<RoundSummary> obs) {
                if (req.getJobId().equals("fail")) {
                    throw new IllegalStateException("handler failure");
                }
                serverSide.put(req.getJobId(), (ServerCallStreamObserver<RoundSummary>) obs);
                obs.onNext(RoundSummary.getDefaultInstance());
            }

            @Override
            public void downloadAdapter(DownloadAdapterRequest req, StreamObserver<Chunk> obs) {
                if (req.getVersion() < 0) {
                    obs.onError(Status.NOT_FOUND.asRuntimeException());
                    return;
                }
                obs.onNext(Chunk.getDefaultInstance());
                obs.onCompleted();
            }

            @Override
            public void getJob(JobRef req, StreamObserver<Job> obs) {
                obs.onNext(Job.getDefaultInstance());
                obs.onCompleted();
            }
        }).intercept(limiter).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void everyEndOfAStreamGivesItsPlaceBack() throws Exception {
        var blocking = AdminServiceGrpc.newBlockingStub(channel);
        // The server's side of a call ends a little after the client has seen its status: wait for it each time.
        for (int i = 0; i < 10; i++) {
            blocking.downloadAdapter(DownloadAdapterRequest.getDefaultInstance()).forEachRemaining(c -> { });
            awaitOpen(0);
            assertCode(Status.Code.NOT_FOUND, () -> blocking.downloadAdapter(DownloadAdapterRequest.newBuilder()
                    .setVersion(-5).build()).forEachRemaining(c -> { }));
            awaitOpen(0);
            assertCode(Status.Code.UNKNOWN, () -> blocking.watchJob(JobRef.newBuilder().setJobId("fail").build())
                    .hasNext());
            awaitOpen(0);
            blocking.getJob(JobRef.getDefaultInstance()); // unary calls are not counted at all
            assertEquals(0, limiter.openStreams());
        }

        Open a = Open.watch(channel, "a");
        Open b = Open.watch(channel, "b");
        a.admitted();
        b.admitted();
        assertEquals(2, limiter.openStreams());
        assertCode(Status.Code.RESOURCE_EXHAUSTED, () -> Open.watch(channel, "x").admitted());
        blocking.getJob(JobRef.getDefaultInstance());

        a.cancel(); // the client goes away
        awaitOpen(1);
        Open.watch(channel, "c").admitted();
        serverSide.get("c").onCompleted(); // the server ends c
        awaitOpen(1);
        serverSide.get("b").onError(Status.ABORTED.asRuntimeException()); // and fails b
        awaitOpen(0);
        Open d = Open.watch(channel, "d");
        d.admitted();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS); // the connection drops
        awaitOpen(0);
    }

    private void awaitOpen(int n) throws InterruptedException {
        Fixtures.await(n + " open streams", Duration.ofSeconds(5), () -> limiter.openStreams() == n);
    }

    private static void assertCode(Status.Code code, ThrowingRunnable r) {
        try {
            r.run();
        } catch (StatusRuntimeException e) {
            assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
            return;
        } catch (ExecutionException e) {
            assertTrue(e.getCause() instanceof StatusRuntimeException, e.toString());
            assertEquals(code, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
            return;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected " + code);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** A WatchJob stream the test holds open. */
    private static final class Open {
        final CompletableFuture<Void> first = new CompletableFuture<>();
        volatile ClientCallStreamObserver<JobRef> call;

        static Open watch(ManagedChannel ch, String id) {
            Open o = new Open();
            AdminServiceGrpc.newStub(ch).watchJob(JobRef.newBuilder().setJobId(id).build(),
                    new ClientResponseObserver<JobRef, RoundSummary>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<JobRef> s) {
                            o.call = s;
                        }

                        @Override
                        public void onNext(RoundSummary r) {
                            o.first.complete(null);
                        }

                        @Override
                        public void onError(Throwable t) {
                            o.first.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            o.first.complete(null);
                        }
                    });
            return o;
        }

        void admitted() throws Exception {
            first.get(5, TimeUnit.SECONDS);
        }

        void cancel() {
            call.cancel("test", null);
        }
    }
}
