package io.fedlora.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.coordinator.round.ConnectedNodes;
import io.fedlora.coordinator.round.SecureFederationFixture;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real Prometheus server scrapes GET /metrics every second and answers a query with the round count. */
@Timeout(120)
class PrometheusScrapeTest {

    @TempDir
    Path dir;

    @Test
    void prometheusScrapesTheCompletedRound() throws Exception {
        Path prometheus = InstalledTool.require("/usr/bin/prometheus", "prometheus");
        ConnectedNodes nodes = new ConnectedNodes();
        try (CoordinatorMetrics metrics = new CoordinatorMetrics(nodes);
                SecureFederationFixture federation = new SecureFederationFixture(dir.resolve("fed"), nodes,
                        metrics.federation());
                MetricsServer server = new MetricsServer(MetricsRoute.open(metrics))) {
            federation.connect(4);
            federation.runJob(1);

            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: fedlora
                        metrics_path: /metrics
                        static_configs:
                          - targets: ['127.0.0.1:%d']
                    """.formatted(server.port()));
            int apiPort = freePort();
            Process p = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
                    "--web.listen-address=127.0.0.1:" + apiPort, "--storage.tsdb.path=" + dir.resolve("tsdb"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                assertEquals(1.0, awaitValue(apiPort, "fedlora_rounds_completed_total", p),
                        "rounds completed, as Prometheus scraped it");
            } finally {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** Queries until the series has a value (Prometheus starts, then scrapes each second). */
    private double awaitValue(int apiPort, String query, Process p) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + apiPort + "/api/v1/query?query=" + query);
        ObjectMapper json = new ObjectMapper();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "(no answer)";
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                last = r.body();
                JsonNode result = json.readTree(last).path("data").path("result");
                if (result.size() > 0) {
                    return Double.parseDouble(result.get(0).path("value").get(1).asText());
                }
            } catch (java.io.IOException notYetListening) {
                // Prometheus is still starting.
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no value for " + query + " within 60 s; last answer: " + last);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
