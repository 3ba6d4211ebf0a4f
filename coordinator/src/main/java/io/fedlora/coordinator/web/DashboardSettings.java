package io.fedlora.coordinator.web;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The dashboard's HTTPS listener.
 *
 * @param enabled whether the coordinator serves the dashboard (on by default)
 * @param host address to bind; empty = the coordinator's gRPC host
 * @param port TCP port, 0 picks a free one; default {@value #DEFAULT_PORT}
 * @param certificateFile the operator's own PEM certificate (chain); empty = one issued by the
 *     coordinator's CA at every start
 * @param keyFile the PEM (PKCS#8) key of {@code certificateFile}
 * @param sessionLifetime how long a signed-in session lasts at most
 * @param sessionIdle how long a session lasts without a request
 */
public record DashboardSettings(boolean enabled, Optional<String> host, int port, Optional<Path> certificateFile,
        Optional<Path> keyFile, Duration sessionLifetime, Duration sessionIdle) {

    public static final int DEFAULT_PORT = 7443;
    public static final Duration DEFAULT_SESSION_LIFETIME = Duration.ofHours(8);
    public static final Duration DEFAULT_SESSION_IDLE = Duration.ofMinutes(30);

    public DashboardSettings {
        List<String> p = new ArrayList<>();
        if (port < 0 || port > 65535) {
            p.add("dashboard port: must be in 0..65535, got " + port);
        }
        if (certificateFile.isPresent() != keyFile.isPresent()) {
            p.add("dashboard certificate and key: give both or neither");
        }
        if (sessionLifetime == null || sessionLifetime.isNegative() || sessionLifetime.isZero()) {
            p.add("dashboard session lifetime: must be positive");
        }
        if (sessionIdle == null || sessionIdle.isNegative() || sessionIdle.isZero()) {
            p.add("dashboard session idle timeout: must be positive");
        }
        if (!p.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", p));
        }
    }

    /** On, port {@value #DEFAULT_PORT}, on the coordinator's host, certificate from its CA. */
    public static DashboardSettings defaults() {
        return new DashboardSettings(true, Optional.empty(), DEFAULT_PORT, Optional.empty(), Optional.empty(),
                DEFAULT_SESSION_LIFETIME, DEFAULT_SESSION_IDLE);
    }

    public static DashboardSettings disabled() {
        return new DashboardSettings(false, Optional.empty(), DEFAULT_PORT, Optional.empty(), Optional.empty(),
                DEFAULT_SESSION_LIFETIME, DEFAULT_SESSION_IDLE);
    }

    public DashboardSettings withPort(int p) {
        return new DashboardSettings(enabled, host, p, certificateFile, keyFile, sessionLifetime, sessionIdle);
    }

    public DashboardSettings withHost(String h) {
        return new DashboardSettings(enabled, Optional.of(h), port, certificateFile, keyFile, sessionLifetime,
                sessionIdle);
    }

    public DashboardSettings withCertificate(Path cert, Path key) {
        return new DashboardSettings(enabled, host, port, Optional.of(cert), Optional.of(key), sessionLifetime,
                sessionIdle);
    }

    public DashboardSettings withSessions(Duration lifetime, Duration idle) {
        return new DashboardSettings(enabled, host, port, certificateFile, keyFile, lifetime, idle);
    }
}
