package io.fedlora.coordinator.web;

import io.fedlora.coordinator.app.CoordinatorApp;
import io.fedlora.coordinator.limits.LoadLimits;
import io.fedlora.coordinator.limits.PrincipalRateLimiter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's HTTPS server (TLS 1.3 only): {@code /healthz} without sign-in, the REST API under
 * {@code /api/v1}, the pages from the classpath folder {@value #STATIC_ROOT} at {@code /}, and
 * WebJars at {@code /webjars/}. Extra routes (such as {@code /metrics}) are mounted by the
 * {@code extraRoutes} given at start, before the pages. It runs its own Vert.x instance.
 */
public final class DashboardServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DashboardServer.class);
    static final String STATIC_ROOT = "io/fedlora/coordinator/web/static";

    private final Vertx vertx;
    private final HttpServer server;
    private final String host;

    private DashboardServer(Vertx vertx, HttpServer server, String host) {
        this.vertx = vertx;
        this.server = server;
        this.host = host;
    }

    /**
     * Starts the dashboard of a coordinator: on {@code settings.host()} (else {@code coordinatorHost}),
     * with the operator's certificate files if given, else a certificate issued now by {@code pki}.
     *
     * @param extraRoutes called with the router before the static pages are mounted: the hook for
     *     {@code /metrics} and other routes that live outside this package
     */
    public static DashboardServer start(CoordinatorApp app, DashboardSettings settings, String coordinatorHost,
            java.util.Optional<io.fedlora.coordinator.trust.CoordinatorPki> pki, List<String> serverNames,
            LoadLimits limits, InstantSource clock, List<Consumer<Router>> extraRoutes) throws java.io.IOException {
        String host = settings.host().orElse(coordinatorHost);
        PemCredentials tls;
        if (settings.certificateFile().isPresent()) {
            tls = PemCredentials.files(settings.certificateFile().get(), settings.keyFile().orElseThrow());
        } else if (pki.isPresent()) {
            tls = PemCredentials.issued(pki.get().issueServerCertificate(host, serverNames),
                    pki.get().caCertificate());
        } else {
            throw new IllegalArgumentException("dashboard: HTTPS needs a certificate: give --dashboard-cert and"
                    + " --dashboard-key, or run with TLS (the coordinator's CA issues one), or --no-dashboard");
        }
        return start(app, settings, host, tls, limits, clock, extraRoutes);
    }

    /**
     * Binds {@code host:port} and returns once it listens.
     *
     * @param extraRoutes called with the router before the static pages are mounted (the metrics hook)
     */
    static DashboardServer start(CoordinatorApp app, DashboardSettings settings, String host, PemCredentials tls,
            LoadLimits limits, InstantSource clock, List<Consumer<Router>> extraRoutes) {
        Vertx vertx = Vertx.vertx();
        try {
            Sessions sessions = new Sessions(clock, new SecureRandom(), settings.sessionLifetime(), settings.sessionIdle());
            Router router = Router.router(vertx);
            router.route().handler(DashboardServer::securityHeaders);
            router.get("/healthz").handler(ctx -> vertx.executeBlocking(app::storeAvailable, false)
                    .onComplete(r -> {
                        boolean up = r.succeeded() && r.result();
                        ctx.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "text/plain")
                                .end(up ? "SERVING" : "NOT_SERVING");
                    }));
            new ApiRoutes(app, sessions, new PrincipalRateLimiter(limits, System::nanoTime), new JobEventStream(app))
                    .mount(router);
            extraRoutes.forEach(r -> r.accept(router));
            router.get("/login").handler(ctx -> ctx.reroute("/login.html"));
            router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
            router.route("/*").handler(StaticHandler.create(STATIC_ROOT).setIndexPage("index.html"));
            router.route().failureHandler(ctx -> HttpErrors.send(ctx, ctx.failure() != null ? ctx.failure()
                    : new io.fedlora.coordinator.app.AppError(statusKind(ctx.statusCode()),
                            "request: " + (ctx.statusCode() == 404 ? "not found" : "refused"),
                            java.util.Optional.empty())));
            HttpServerOptions options = new HttpServerOptions().setSsl(true)
                    .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(tls.certificateChain()))
                            .setKeyValue(Buffer.buffer(tls.privateKey())))
                    .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
                    .setIdleTimeout(0);
            HttpServer server = vertx.createHttpServer(options).requestHandler(router)
                    .listen(settings.port(), host).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return new DashboardServer(vertx, server, host);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("dashboard: could not listen on " + host + ":" + settings.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    private static io.fedlora.coordinator.app.AppError.Kind statusKind(int status) {
        return switch (status) {
            case 400, 413 -> io.fedlora.coordinator.app.AppError.Kind.INVALID_ARGUMENT;
            case 401 -> io.fedlora.coordinator.app.AppError.Kind.UNAUTHENTICATED;
            case 403 -> io.fedlora.coordinator.app.AppError.Kind.PERMISSION_DENIED;
            case 404, 405 -> io.fedlora.coordinator.app.AppError.Kind.NOT_FOUND;
            default -> io.fedlora.coordinator.app.AppError.Kind.INTERNAL;
        };
    }

    /** Pages load nothing from elsewhere, and no page of ours may be framed. */
    private static void securityHeaders(RoutingContext ctx) {
        ctx.response().putHeader("Strict-Transport-Security", "max-age=31536000")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        ctx.next();
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.actualPort();
    }

    /** {@code https://HOST:PORT/}. */
    public String url() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "https://" + h + ":" + port() + "/";
    }

    /** Stops listening and closes the Vert.x instance, within {@code budget}. */
    public void close(Duration budget) throws Exception {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(budget.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(Math.max(100, budget.toMillis()),
                    TimeUnit.MILLISECONDS);
        }
        log.info("dashboard stopped");
    }

    @Override
    public void close() throws Exception {
        close(Duration.ofSeconds(10));
    }
}
