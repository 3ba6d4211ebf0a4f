package io.fedlora.coordinator.metrics;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

/** A plain-HTTP Vert.x server on a free loopback port with only the metrics route mounted, for tests. */
final class MetricsServer implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    MetricsServer(MetricsRoute route) throws Exception {
        Router router = Router.router(vertx);
        route.mount(router);
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    int port() {
        return server.actualPort();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port() + MetricsRoute.PATH);
    }

    HttpResponse<String> get(String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri()).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
