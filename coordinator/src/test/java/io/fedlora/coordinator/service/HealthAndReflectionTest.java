package io.fedlora.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.ObservabilitySettings;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Over a real loopback port with mutual TLS: the health service follows the store, and reflection lists the API. */
@Timeout(60)
class HealthAndReflectionTest {

    @TempDir
    Path dir;

    private CoordinatorServer start() throws Exception {
        return CoordinatorServer.start(CoordinatorConfig.builder(dir).host("127.0.0.1").port(0)
                .observability(ObservabilitySettings.defaults().withHealthCheckInterval(Duration.ofMillis(100))).build());
    }

    private static ServingStatus health(ManagedChannel ch) {
        return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    @Test
    void healthTurnsNotServingWhenTheStoreStopsAnswering() throws Exception {
        try (CoordinatorServer server = start(); TlsTestClients clients = new TlsTestClients(server, dir)) {
            ManagedChannel admin = clients.adminChannel();
            assertEquals(ServingStatus.SERVING, health(admin));
            server.store().close();
            Fixtures.await("health NOT_SERVING", Duration.ofSeconds(10), () -> health(admin) == ServingStatus.NOT_SERVING);
        }
    }

    @Test
    void reflectionListsTheServicesToOperatorsOnly() throws Exception {
        try (CoordinatorServer server = start(); TlsTestClients clients = new TlsTestClients(server, dir)) {
            List<String> services = listServices(clients.adminChannel());
            assertTrue(services.containsAll(List.of("fedlora.v1.AgentService", "fedlora.v1.AdminService",
                    "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection")), services.toString());

            TlsTestClients.Enrolled viewer = clients.enrollOperator("alice", "viewer");
            assertTrue(listServices(clients.channel(Optional.of(viewer.credentials()))).contains("fedlora.v1.AdminService"));

            TlsTestClients.Enrolled agent = clients.enrollAgent("hospital-a");
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> listServices(clients.channel(Optional.of(agent.credentials()))));
            assertEquals(Status.Code.PERMISSION_DENIED, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
        }
    }

    private static List<String> listServices(ManagedChannel ch) throws Exception {
        CompletableFuture<List<String>> names = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(ch)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        names.complete(r.getListServicesResponse().getServiceList().stream()
                                .map(ServiceResponse::getName).toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        names.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        names.complete(List.of());
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
        try {
            return names.get(10, TimeUnit.SECONDS);
        } finally {
            requests.onCompleted();
        }
    }
}
