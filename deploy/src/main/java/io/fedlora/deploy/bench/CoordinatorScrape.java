package io.fedlora.deploy.bench;

import io.fedlora.coordinator.web.DashboardClient;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The coordinator's {@code GET /metrics} (readable without sign-in), as the sums the benchmark needs:
 * gRPC bytes received and sent (message bytes on the wire, before TLS), heap in use, and how many
 * times each round stage has closed.
 */
final class CoordinatorScrape {

    /** One scrape's figures. {@code stagesClosed} counts closes per stage name. */
    record Sample(double receivedBytes, double sentBytes, double heapUsedMb, Map<String, Long> stagesClosed) {}

    private final DashboardClient client;

    CoordinatorScrape(String dashboardUrl, Path caCertificate) throws Exception {
        this.client = new DashboardClient(dashboardUrl, caCertificate);
    }

    Sample sample() throws Exception {
        var r = client.get("/metrics");
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /metrics answered " + r.statusCode());
        }
        double received = 0;
        double sent = 0;
        double heap = 0;
        Map<String, Long> stages = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String key = line.substring(0, space);
            double value = Double.parseDouble(line.substring(space + 1));
            if (key.equals("fedlora_grpc_received_bytes_total")) {
                received = value;
            } else if (key.equals("fedlora_grpc_sent_bytes_total")) {
                sent = value;
            } else if (key.startsWith("jvm_memory_used_bytes{") && key.contains("area=\"heap\"")) {
                heap += value / (1024.0 * 1024);
            } else if (key.startsWith("fedlora_round_stage_seconds_count{")) {
                stages.merge(label(key, "stage"), (long) value, Long::sum);
            }
        }
        return new Sample(received, sent, heap, stages);
    }

    private static String label(String key, String name) {
        int at = key.indexOf(name + "=\"");
        if (at < 0) {
            return "";
        }
        int from = at + name.length() + 2;
        return key.substring(from, key.indexOf('"', from));
    }
}
