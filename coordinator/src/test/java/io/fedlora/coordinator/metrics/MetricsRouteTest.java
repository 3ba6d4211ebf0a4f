package io.fedlora.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.round.ConnectedNodes;
import io.fedlora.coordinator.round.SecureFederationFixture;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** GET /metrics after a real secure round: the federation's meters, valid for promtool, and the token option. */
@Timeout(120)
class MetricsRouteTest {

    @TempDir
    Path dir;

    @Test
    void afterASecureRoundTheExpositionHasTheFederationsMetersAndPassesPromtool() throws Exception {
        ConnectedNodes nodes = new ConnectedNodes();
        try (CoordinatorMetrics metrics = new CoordinatorMetrics(nodes);
                SecureFederationFixture federation = new SecureFederationFixture(dir, nodes, metrics.federation());
                MetricsServer server = new MetricsServer(MetricsRoute.open(metrics))) {
            federation.connect(4);
            federation.runJob(1);

            HttpResponse<String> r = server.get(null);
            assertEquals(200, r.statusCode());
            assertEquals(CoordinatorMetrics.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
            String text = r.body();
            for (String line : List.of("fedlora_rounds_started_total 1.0", "fedlora_rounds_completed_total 1.0",
                    "fedlora_nodes_connected 4.0", "fedlora_dropouts_total{stage=\"share_keys\"} 1.0",
                    "fedlora_round_stage_seconds_count{stage=\"unmask\"} 1", "fedlora_round_stage_seconds_count{stage=\"publish\"} 1",
                    "fedlora_round_stage_seconds_bucket{stage=\"advertise_keys\",le=\"+Inf\"} 1")) {
                assertTrue(text.contains(line), "missing " + line + " in:\n" + text);
            }
            for (String name : List.of("fedlora_grpc_received_bytes_total", "jvm_memory_used_bytes", "process_cpu_usage",
                    "process_uptime_seconds", "jvm_threads_live_threads")) {
                assertTrue(text.contains(name), "missing " + name);
            }
            Files.writeString(dir.resolve("metrics.txt"), text);
            Files.writeString(Path.of("target", "metrics-sample.txt"), text);
            promtoolAccepts(dir.resolve("metrics.txt"));
        }
    }

    @Test
    void withATokenFileOnlyTheBearerOfItReadsTheMetrics() throws Exception {
        Path tokenFile = dir.resolve("metrics-token");
        Files.writeString(tokenFile, "s3cret-scrape-token\n");
        try (CoordinatorMetrics metrics = new CoordinatorMetrics(new ConnectedNodes());
                MetricsServer server = new MetricsServer(MetricsRoute.withTokenFile(metrics, tokenFile))) {
            HttpResponse<String> none = server.get(null);
            assertEquals(401, none.statusCode());
            assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
            assertEquals(401, server.get("Bearer wrong").statusCode());
            assertEquals(401, server.get("Basic czNjcmV0LXNjcmFwZS10b2tlbg==").statusCode());
            HttpResponse<String> ok = server.get("Bearer s3cret-scrape-token");
            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().contains("fedlora_rounds_started_total"));
            assertTrue(!none.body().contains("s3cret"), "the refusal does not echo the token");
        }
    }

    @Test
    void aMissingOrEmptyTokenFileIsRefusedNamingIt() throws Exception {
        Path empty = dir.resolve("empty-token");
        Files.writeString(empty, "  \n");
        try (CoordinatorMetrics metrics = new CoordinatorMetrics(new ConnectedNodes())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MetricsRoute.withTokenFile(metrics, empty));
            assertTrue(e.getMessage().contains("--metrics-token-file") && e.getMessage().contains(empty.toString()));
            e = assertThrows(IllegalArgumentException.class,
                    () -> MetricsRoute.withTokenFile(metrics, dir.resolve("absent")));
            assertTrue(e.getMessage().contains("absent"), e.getMessage());
        }
    }

    private static void promtoolAccepts(Path metricsFile) throws Exception {
        Path promtool = InstalledTool.require("/usr/bin/promtool", "prometheus");
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true)
                .redirectInput(metricsFile.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "promtool check metrics:\n" + out);
    }
}
