package io.fedlora.coordinator;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Health, metrics and traces.
 *
 * @param healthCheckInterval how often the gRPC health service re-checks the store
 * @param metricsTokenFile when present, {@code GET /metrics} requires {@code Authorization: Bearer}
 *     with the token in this file ({@code --metrics-token-file})
 * @param otlpEndpoint when present, round spans go to this OTLP/HTTP collector ({@code --otlp-endpoint});
 *     absent, nothing is exported
 */
public record ObservabilitySettings(Duration healthCheckInterval, Optional<Path> metricsTokenFile,
        Optional<URI> otlpEndpoint) {

    public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(5);

    public ObservabilitySettings {
        if (healthCheckInterval == null || healthCheckInterval.isNegative() || healthCheckInterval.isZero()) {
            throw new IllegalArgumentException("healthCheckInterval: must be positive, got " + healthCheckInterval);
        }
        metricsTokenFile = metricsTokenFile == null ? Optional.empty() : metricsTokenFile;
        otlpEndpoint = otlpEndpoint == null ? Optional.empty() : otlpEndpoint;
        otlpEndpoint.ifPresent(u -> {
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                throw new IllegalArgumentException("--otlp-endpoint: must be an http:// or https:// URL, got " + u);
            }
        });
    }

    /** Health every 5 s, metrics open, no trace export. */
    public static ObservabilitySettings defaults() {
        return new ObservabilitySettings(DEFAULT_HEALTH_CHECK_INTERVAL, Optional.empty(), Optional.empty());
    }

    public ObservabilitySettings withHealthCheckInterval(Duration d) {
        return new ObservabilitySettings(d, metricsTokenFile, otlpEndpoint);
    }

    public ObservabilitySettings withMetricsTokenFile(Path p) {
        return new ObservabilitySettings(healthCheckInterval, Optional.of(p), otlpEndpoint);
    }

    public ObservabilitySettings withOtlpEndpoint(URI u) {
        return new ObservabilitySettings(healthCheckInterval, metricsTokenFile, Optional.of(u));
    }
}
