package io.fedlora.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The probe port over real HTTP: alive always, ready only while nothing says otherwise. */
class HealthProbesTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> call(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void livenessHoldsWhileReadinessFollowsTheCoordinator() throws Exception {
        AtomicReference<Optional<String>> why = new AtomicReference<>(Optional.of("standby: waiting"));
        try (HealthProbes probes = HealthProbes.start("127.0.0.1", 0, why::get)) {
            int port = probes.port();
            assertEquals(200, call(port, "GET", "/livez").statusCode());
            HttpResponse<String> standby = call(port, "GET", "/readyz");
            assertEquals(503, standby.statusCode());
            assertEquals("standby: waiting\n", standby.body());
            assertEquals("no-store", standby.headers().firstValue("Cache-Control").orElseThrow());

            why.set(Optional.empty());
            HttpResponse<String> active = call(port, "GET", "/readyz");
            assertEquals(200, active.statusCode());
            assertEquals("ready\n", active.body());
            assertEquals(200, call(port, "HEAD", "/readyz").statusCode());

            why.set(Optional.of("not serving"));
            assertEquals(503, call(port, "GET", "/readyz").statusCode());
            assertEquals(200, call(port, "GET", "/livez").statusCode());
        }
    }

    @Test
    void onlyTheTwoPathsAndOnlyReads() throws Exception {
        try (HealthProbes probes = HealthProbes.start("127.0.0.1", 0, Optional::empty)) {
            assertEquals(404, call(probes.port(), "GET", "/livez/extra").statusCode());
            assertEquals(404, call(probes.port(), "GET", "/").statusCode());
            assertEquals(405, call(probes.port(), "POST", "/readyz").statusCode());
        }
    }
}
