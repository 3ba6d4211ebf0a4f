package io.fedlora.deploy.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The federation benchmark at toy size: a coordinator process, six real agents, one secure round. */
@Timeout(120)
class FederationBenchmarkTest {

    @Test
    void aSmallRoundIsCorrectAndReportsEveryFigure() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        var s = new FederationBenchmark.Settings(6, 1000, 1, 1, 3, "256m", 2, Duration.ofSeconds(30));
        FederationResult r = FederationBenchmark.run(s, new PrintStream(progress, true, StandardCharsets.UTF_8));

        JsonObject json = new JsonObject(r.toJson());
        assertTrue(json.getBoolean("correct"), json.encodePrettily());
        for (String f : List.of("enrol_s", "connect_s", "rounds_wall_s", "coordinator_cpu_s", "coordinator_peak_heap_mb",
                "coordinator_peak_rss_mb", "bytes_in_per_client", "bytes_out_per_client")) {
            assertTrue(json.getDouble(f) > 0, f + " in " + json.encode());
        }
        assertEquals(1, json.getJsonArray("warmup_rounds").size(), "the warm-up job is reported apart");
        assertTrue(json.getJsonArray("warmup_rounds").getJsonObject(0).getBoolean("correct"));
        JsonObject round = json.getJsonArray("rounds").getJsonObject(0);
        assertEquals(6, round.getInteger("contributors"));
        assertTrue(round.getBoolean("sum_exact"), "the unmasked sum is the sum of the encoded inputs");
        assertEquals(List.of("advertise_keys", "share_keys", "masked_input", "unmask"),
                round.getJsonArray("stages").stream().map(o -> ((JsonObject) o).getString("stage")).toList()
                        .subList(0, 4));
        // The masked vector (P + 5 words) went up; the adapter (P floats) came down.
        assertTrue(json.getDouble("bytes_in_per_client") > 4 * 1005, json.encode());
        assertTrue(json.getDouble("bytes_out_per_client") > 4 * 1000, json.encode());
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("enrolled 6/6"), progress.toString());
    }
}
