package io.fedlora.deploy.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Plain-HTTP liveness and readiness for a service manager or the kubelet, up from the start of the
 * process: a standby coordinator has no gRPC or dashboard port to probe until it takes over, yet it
 * is alive and must not be restarted. {@code /livez} answers 200 while the process runs;
 * {@code /readyz} 200 while nothing says it is not ready (the active coordinator, its store
 * answering), else 503 with the reason, so a Service routes to the active one only. The JDK's own HTTP server: two fixed answers
 * need no framework.
 */
final class HealthProbes implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    private HealthProbes(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** {@code notReadyBecause}: empty when ready, else what the 503 says. */
    static HealthProbes start(String host, int port, Supplier<Optional<String>> notReadyBecause) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/livez", ex -> answer(ex, 200, "live"));
        server.createContext("/readyz", ex -> {
            Optional<String> why = notReadyBecause.get();
            answer(ex, why.isEmpty() ? 200 : 503, why.orElse("ready"));
        });
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "health-probes");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return new HealthProbes(server, executor);
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange ex, int status, String text) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            // Only the exact paths: /livezz is not a probe.
            String path = ex.getRequestURI().getPath();
            if (!path.equals(ex.getHttpContext().getPath())) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = "HEAD".equals(ex.getRequestMethod());
            ex.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
