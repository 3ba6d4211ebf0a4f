package io.fedlora.coordinator.metrics;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * {@code GET /metrics}: the Prometheus exposition text, readable without sign-in (it carries no
 * secret), or only with {@code Authorization: Bearer <token>} when a token file is given.
 */
public final class MetricsRoute {

    public static final String PATH = "/metrics";

    private final CoordinatorMetrics metrics;
    private final Optional<byte[]> token;

    private MetricsRoute(CoordinatorMetrics metrics, Optional<byte[]> token) {
        this.metrics = metrics;
        this.token = token;
    }

    /** Open to anyone who reaches the port. */
    public static MetricsRoute open(CoordinatorMetrics metrics) {
        return new MetricsRoute(metrics, Optional.empty());
    }

    /**
     * Requires the bearer token in {@code tokenFile} (its first line, surrounding blanks trimmed).
     *
     * @throws IllegalArgumentException naming the file when it cannot be read or holds no token
     */
    public static MetricsRoute withTokenFile(CoordinatorMetrics metrics, Path tokenFile) {
        String t;
        try {
            t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("--metrics-token-file: cannot read " + tokenFile + ": " + e.getMessage(), e);
        }
        int nl = t.indexOf('\n');
        if (nl >= 0) {
            t = t.substring(0, nl).strip();
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException("--metrics-token-file: " + tokenFile + " holds no token");
        }
        return new MetricsRoute(metrics, Optional.of(t.getBytes(StandardCharsets.UTF_8)));
    }

    /** Adds {@code GET /metrics} to {@code router}. */
    public void mount(Router router) {
        router.get(PATH).handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        if (token.isPresent() && !authorised(ctx.request().getHeader(HttpHeaders.AUTHORIZATION))) {
            ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"metrics\"")
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .end("metrics: a bearer token is required (Authorization: Bearer <token>)\n");
            return;
        }
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, CoordinatorMetrics.CONTENT_TYPE)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end(metrics.scrape());
    }

    private boolean authorised(String header) {
        String prefix = "Bearer ";
        if (header == null || !header.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return false;
        }
        byte[] given = header.substring(prefix.length()).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token.orElseThrow());
    }
}
