package io.fedlora.deploy.demo;

import io.fedlora.coordinator.web.DashboardClient;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What a dashboard page open on the demo's job costs the federation: a signed-in client subscribed
 * to the job's live events (the stream the job page reads), on its own thread, counting what arrives
 * until the coordinator ends the stream with the job.
 */
final class DashboardWatcher {

    private final Map<String, Integer> received = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile Exception failure;

    private DashboardWatcher(DashboardClient client, String jobId) {
        reader = new Thread(() -> read(client, jobId), "demo-dashboard-watcher");
        reader.setDaemon(true);
    }

    /** Signs in with {@code loginLink} and subscribes to {@code jobId}'s events. */
    static DashboardWatcher start(String loginLink, Path caCertificate, String jobId) throws Exception {
        DashboardClient client = new DashboardClient(loginLink.substring(0, loginLink.indexOf("login#")), caCertificate);
        int status = client.signIn(loginLink).statusCode();
        if (status != 200) {
            throw new IllegalStateException("the dashboard refused the demo's watcher sign-in: HTTP " + status);
        }
        DashboardWatcher w = new DashboardWatcher(client, jobId);
        w.reader.start();
        return w;
    }

    private void read(DashboardClient client, String jobId) {
        try {
            HttpResponse<InputStream> r = client.stream("/api/v1/events?job=" + jobId);
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("event: ")) {
                        received.merge(line.substring(7), 1, Integer::sum);
                    }
                }
            }
        } catch (Exception e) {
            failure = e;
        }
    }

    /** Waits up to {@code seconds} for the stream's end; the events received by type. */
    Map<String, Integer> awaitEnd(long seconds) throws Exception {
        reader.join(TimeUnit.SECONDS.toMillis(seconds));
        if (failure != null) {
            throw failure;
        }
        return new TreeMap<>(received);
    }
}
