package io.fedlora.deploy.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code fedlora bench dashboard} on a small state: it checks the state it made, then times each endpoint. */
class DashboardBenchmarkTest {

    @Test
    void timesEveryEndpointAgainstHealthzOnTheStateItClaims() throws Exception {
        var s = new DashboardBenchmark.Settings(30, 7, 2, 5);
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        List<DashboardBenchmark.Latency> results = DashboardBenchmark.run(s,
                new PrintStream(progress, true, StandardCharsets.UTF_8));

        assertEquals(List.of("/healthz", "/metrics", "/api/v1/jobs/{id}", "/api/v1/nodes"),
                results.stream().map(DashboardBenchmark.Latency::path).toList());
        assertTrue(results.stream().allMatch(l -> l.p50() > 0 && l.p50() <= l.p95() && l.p95() <= l.max()), results::toString);
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("30 nodes, a job with 7 rounds"));
        String json = DashboardBenchmark.toJson(results, s);
        assertTrue(json.startsWith("{\"nodes\":30,\"rounds\":7,"), json);
        assertThrows(IllegalArgumentException.class, () -> new DashboardBenchmark.Settings(0, 1, 0, 5));
    }
}
