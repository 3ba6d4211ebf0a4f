package io.fedlora.coordinator.web;

import io.fedlora.coordinator.AdapterBlob;
import io.fedlora.coordinator.app.Action;
import io.fedlora.coordinator.app.AppError;
import io.fedlora.coordinator.app.CoordinatorApp;
import io.fedlora.coordinator.app.DashboardLogins;
import io.fedlora.coordinator.app.Principal;
import io.fedlora.coordinator.limits.PrincipalRateLimiter;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.proto.v1.RoundSummary;
import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * The REST API under {@code /api/v1}: sign-in and sessions, then every route behind a session, with
 * the CSRF header on every change and the per-principal rate limit. Store work runs on Vert.x's
 * worker pool, never on the event loop.
 */
final class ApiRoutes {

    static final String COOKIE = "fedlora_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    private static final String SESSION_KEY = "fedlora.session";
    private static final String P = "/api/v1";

    private final CoordinatorApp app;
    private final Sessions sessions;
    private final PrincipalRateLimiter rates;
    private final JobEventStream events;

    ApiRoutes(CoordinatorApp app, Sessions sessions, PrincipalRateLimiter rates, JobEventStream events) {
        this.app = app;
        this.sessions = sessions;
        this.rates = rates;
        this.events = events;
    }

    void mount(Router r) {
        r.route(P + "/*").handler(BodyHandler.create().setBodyLimit(64 * 1024).setHandleFileUploads(false));
        r.get(P + "/openapi.json").handler(this::openApi);
        r.post(P + "/session").handler(this::signIn);
        r.route(P + "/*").handler(this::requireSession);
        r.get(P + "/session").handler(this::session);
        r.delete(P + "/session").handler(this::signOut);
        r.get(P + "/jobs").handler(this::listJobs);
        r.get(P + "/jobs/:id").handler(this::getJob);
        r.post(P + "/jobs/:id/start").handler(ctx -> control(ctx, Action.START_JOB));
        r.post(P + "/jobs/:id/pause").handler(ctx -> control(ctx, Action.PAUSE_JOB));
        r.post(P + "/jobs/:id/resume").handler(ctx -> control(ctx, Action.RESUME_JOB));
        r.post(P + "/jobs/:id/cancel").handler(ctx -> control(ctx, Action.CANCEL_JOB));
        r.get(P + "/jobs/:id/adapters/:version").handler(this::adapter);
        r.get(P + "/jobs/:id/privacy").handler(this::privacy);
        r.get(P + "/jobs/:id/log").handler(this::jobLog);
        r.get(P + "/nodes").handler(this::nodes);
        r.post(P + "/nodes/:id/revoke").handler(this::revoke);
        r.post(P + "/enrollment-tokens").handler(this::enrollmentToken);
        r.get(P + "/audit").handler(this::audit);
        r.get(P + "/events").handler(ctx -> events.open(ctx, principal(ctx)));
        r.route(P + "/*").handler(ctx -> HttpErrors.send(ctx, AppError.of(AppError.Kind.NOT_FOUND,
                "path: no API route " + ctx.request().method() + " " + ctx.normalizedPath())));
    }

    // ---- sessions

    private void signIn(RoutingContext ctx) {
        Optional<JsonObject> body = jsonBody(ctx);
        if (body.isEmpty()) {
            return;
        }
        Object token = body.get().getValue("token");
        if (!(token instanceof String t)) {
            HttpErrors.send(ctx, AppError.of(AppError.Kind.INVALID_ARGUMENT, "token: a string is required"));
            return;
        }
        blocking(ctx, () -> {
            try {
                DashboardLogins.Grant g = app.logins().redeem(t);
                Sessions.Opened o = sessions.open(g);
                app.gate().succeeded(o.session().principal(), "Dashboard/SignIn", "name=" + g.name() + " role=" + g.role().label());
                return o;
            } catch (RuntimeException e) {
                AppError err = AppError.of(e);
                app.gate().refusedAnonymous("Dashboard/SignIn", err);
                throw err;
            }
        }).onSuccess(o -> {
            ctx.response().addCookie(Cookie.cookie(COOKIE, o.cookieValue()).setHttpOnly(true).setSecure(true)
                    .setSameSite(CookieSameSite.STRICT).setPath("/"));
            json(ctx, 200, sessionJson(o.session()));
        });
    }

    private void requireSession(RoutingContext ctx) {
        Cookie c = ctx.request().getCookie(COOKIE);
        Optional<Sessions.Session> s = sessions.find(c == null ? null : c.getValue());
        if (s.isEmpty()) {
            HttpErrors.send(ctx, AppError.of(AppError.Kind.UNAUTHENTICATED,
                    "session: sign in first (no session, or it has expired)"));
            return;
        }
        Principal p = s.get().principal();
        OptionalLong wait = rates.tryAcquire("dashboard:" + p.name());
        if (wait.isPresent()) {
            long seconds = Math.max(1, (wait.getAsLong() + 999_999_999L) / 1_000_000_000L);
            ctx.response().putHeader("Retry-After", Long.toString(seconds));
            HttpErrors.send(ctx, AppError.of(AppError.Kind.RESOURCE_EXHAUSTED, "rate: more than the allowed calls per"
                    + " second for " + p.name() + "; retry in " + seconds + " s"));
            return;
        }
        HttpMethod m = ctx.request().method();
        boolean changes = !(m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS);
        if (changes && !s.get().csrfMatches(ctx.request().getHeader(CSRF_HEADER))) {
            AppError e = AppError.of(AppError.Kind.PERMISSION_DENIED, "X-CSRF-Token: missing or not this session's");
            ctx.vertx().executeBlocking(() -> {
                app.gate().refused(p, m + " " + ctx.normalizedPath(), e);
                return null;
            }, false).onComplete(x -> HttpErrors.send(ctx, e));
            return;
        }
        ctx.put(SESSION_KEY, s.get());
        ctx.next();
    }

    private void session(RoutingContext ctx) {
        json(ctx, 200, sessionJson(ctx.get(SESSION_KEY)));
    }

    private void signOut(RoutingContext ctx) {
        Cookie c = ctx.request().getCookie(COOKIE);
        sessions.close(c == null ? null : c.getValue());
        ctx.response().addCookie(Cookie.cookie(COOKIE, "").setHttpOnly(true).setSecure(true)
                .setSameSite(CookieSameSite.STRICT).setPath("/").setMaxAge(0));
        ctx.response().setStatusCode(204).end();
    }

    private JsonObject sessionJson(Sessions.Session s) {
        return new JsonObject().put("name", s.principal().name()).put("role", s.principal().role().label())
                .put("csrfToken", s.csrfToken()).put("expiresAt", Instant.ofEpochMilli(sessions.expiresAt(s)).toString());
    }

    // ---- jobs

    private void listJobs(RoutingContext ctx) {
        Principal p = principal(ctx);
        blocking(ctx, () -> new JsonObject().put("jobs", JsonViews.jobs(app, p))).onSuccess(o -> json(ctx, 200, o));
    }

    private void getJob(RoutingContext ctx) {
        Principal p = principal(ctx);
        String id = ctx.pathParam("id");
        blocking(ctx, () -> jobDetail(p, app.job(p, id))).onSuccess(o -> json(ctx, 200, o));
    }

    private JsonObject jobDetail(Principal p, JobRecord job) {
        List<RoundSummary> rounds = app.rounds(p, job.jobId());
        List<AdapterVersion> versions = new ArrayList<>();
        for (int v = 0; v <= job.latestVersion(); v++) {
            app.adapterVersion(job.jobId(), v).ifPresent(versions::add);
        }
        return JsonViews.jobDetail(job, rounds, versions, app.allowedControls(p, job));
    }

    private void control(RoutingContext ctx, Action action) {
        Principal p = principal(ctx);
        String id = ctx.pathParam("id");
        blocking(ctx, () -> jobDetail(p, app.control(p, action, id))).onSuccess(o -> json(ctx, 200, o));
    }

    private void adapter(RoutingContext ctx) {
        Principal p = principal(ctx);
        String id = ctx.pathParam("id");
        int version;
        try {
            version = Integer.parseInt(ctx.pathParam("version"));
        } catch (NumberFormatException e) {
            HttpErrors.send(ctx, AppError.of(AppError.Kind.INVALID_ARGUMENT, "version: an integer is required"));
            return;
        }
        blocking(ctx, () -> {
            AdapterBlob blob = app.adapter(p, id, version);
            return PeftZip.of(app.job(p, id).config(), blob);
        }).onSuccess(zip -> ctx.response().putHeader("Content-Type", "application/zip")
                .putHeader("Content-Disposition", "attachment; filename=\"adapter-" + id + "-v" + version + ".zip\"")
                .end(io.vertx.core.buffer.Buffer.buffer(zip)));
    }

    private void privacy(RoutingContext ctx) {
        Principal p = principal(ctx);
        String id = ctx.pathParam("id");
        blocking(ctx, () -> {
            JsonObject nodes = new JsonObject();
            app.nodeMetrics(p, id).forEach((node, m) -> nodes.put(node, new JsonObject(new java.util.LinkedHashMap<>(m))));
            JsonObject job = JsonViews.job(app.job(p, id), app.rounds(p, id));
            return new JsonObject().put("jobId", id).put("epsilonSpent", job.getValue("epsilonSpent"))
                    .put("epsilonBudget", job.getValue("epsilonBudget")).put("nodes", nodes);
        }).onSuccess(o -> json(ctx, 200, o));
    }

    private void jobLog(RoutingContext ctx) {
        Principal p = principal(ctx);
        String id = ctx.pathParam("id");
        int limit;
        try {
            limit = intParam(ctx, "limit", 200);
        } catch (AppError e) {
            HttpErrors.send(ctx, e);
            return;
        }
        blocking(ctx, () -> {
            JsonArray lines = new JsonArray();
            app.jobLog(p, id, limit).forEach(l -> lines.add(JsonViews.logLine(l)));
            return new JsonObject().put("lines", lines);
        }).onSuccess(o -> json(ctx, 200, o));
    }

    // ---- nodes, tokens, audit

    private void nodes(RoutingContext ctx) {
        Principal p = principal(ctx);
        blocking(ctx, () -> {
            JsonArray out = new JsonArray();
            app.nodes(p).forEach(n -> out.add(JsonViews.node(n)));
            return new JsonObject().put("nodes", out);
        }).onSuccess(o -> json(ctx, 200, o));
    }

    private void revoke(RoutingContext ctx) {
        Principal p = principal(ctx);
        Optional<JsonObject> body = ctx.body().length() <= 0 ? Optional.of(new JsonObject()) : jsonBody(ctx);
        if (body.isEmpty()) {
            return;
        }
        Optional<String> reason = optionalString(ctx, body.get(), "reason");
        if (reason == null) {
            return;
        }
        String id = ctx.pathParam("id");
        blocking(ctx, () -> app.revoke(p, id, reason.orElse(""))).onSuccess(r -> json(ctx, 200, new JsonObject()
                .put("certificatesRevoked", r.certificatesRevoked()).put("wasConnected", r.wasConnected())));
    }

    private void enrollmentToken(RoutingContext ctx) {
        Principal p = principal(ctx);
        Optional<JsonObject> body = jsonBody(ctx);
        if (body.isEmpty()) {
            return;
        }
        Optional<String> name = optionalString(ctx, body.get(), "name");
        Optional<String> role = name == null ? null : optionalString(ctx, body.get(), "role");
        if (name == null || role == null) {
            return;
        }
        Object ttl = body.get().getValue("ttlSeconds");
        if (ttl != null && !(ttl instanceof Number)) {
            HttpErrors.send(ctx, AppError.of(AppError.Kind.INVALID_ARGUMENT, "ttlSeconds: a number of seconds"));
            return;
        }
        long ttlSeconds = ttl == null ? 0 : ((Number) ttl).longValue();
        blocking(ctx, () -> app.createEnrollmentToken(p, name.orElse(""), role.orElse(""), ttlSeconds))
                .onSuccess(t -> {
                    ctx.response().putHeader("Cache-Control", "no-store");
                    json(ctx, 201, new JsonObject().put("token", t.token()).put("name", t.record().name())
                            .put("role", t.record().role().label())
                            .put("expiresAt", Instant.ofEpochMilli(t.record().expiresUnixMs()).toString()));
                });
    }

    private void audit(RoutingContext ctx) {
        Principal p = principal(ctx);
        int page;
        int size;
        try {
            page = intParam(ctx, "page", 0);
            size = intParam(ctx, "size", 50);
        } catch (AppError e) {
            HttpErrors.send(ctx, e);
            return;
        }
        String actor = Optional.ofNullable(ctx.queryParams().get("actor")).orElse("");
        String action = Optional.ofNullable(ctx.queryParams().get("action")).orElse("");
        blocking(ctx, () -> app.audit(p, page, size, actor, action)).onSuccess(a -> {
            JsonArray rs = new JsonArray();
            a.records().forEach(r -> rs.add(JsonViews.audit(r)));
            json(ctx, 200, new JsonObject().put("records", rs).put("total", a.total()).put("chainValid", a.chainValid()));
        });
    }

    private void openApi(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "application/json").end(OpenApiDocument.text());
    }

    // ---- plumbing

    static Principal principal(RoutingContext ctx) {
        Sessions.Session s = ctx.get(SESSION_KEY);
        return s.principal();
    }

    /** Runs store work on the worker pool; a failure is answered as the API's JSON error. */
    private static <T> Future<T> blocking(RoutingContext ctx, Callable<T> work) {
        return ctx.vertx().<T>executeBlocking(work, false).onFailure(t -> HttpErrors.send(ctx, t));
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }

    /** The body as a JSON object, or empty after answering 400 with what is wrong with it. */
    private static Optional<JsonObject> jsonBody(RoutingContext ctx) {
        try {
            Object v = ctx.body().asJsonObject();
            if (v == null) {
                HttpErrors.send(ctx, AppError.of(AppError.Kind.INVALID_ARGUMENT, "body: a JSON object is required"));
                return Optional.empty();
            }
            return Optional.of((JsonObject) v);
        } catch (DecodeException | ClassCastException e) {
            HttpErrors.send(ctx, AppError.of(AppError.Kind.INVALID_ARGUMENT, "body: malformed JSON ("
                    + firstLine(e.getMessage()) + ")"));
            return Optional.empty();
        }
    }

    /** A string field, empty when absent; null after answering 400 when it is there but not a string. */
    private static Optional<String> optionalString(RoutingContext ctx, JsonObject o, String field) {
        Object v = o.getValue(field);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof String s) {
            return Optional.of(s);
        }
        HttpErrors.send(ctx, AppError.of(AppError.Kind.INVALID_ARGUMENT, field + ": must be a string"));
        return null;
    }

    private static int intParam(RoutingContext ctx, String name, int dflt) {
        String v = ctx.queryParams().get(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw AppError.of(AppError.Kind.INVALID_ARGUMENT, name + ": an integer is required");
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        String line = s.lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
