package io.fedlora.coordinator.web;

import io.fedlora.coordinator.app.AppError;
import io.fedlora.coordinator.app.CoordinatorApp;
import io.fedlora.coordinator.app.JobFeed;
import io.fedlora.coordinator.app.Principal;
import io.fedlora.coordinator.store.JobRecord;
import io.fedlora.proto.v1.RoundSummary;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * {@code GET /api/v1/events?job=ID}: server-sent events from the {@link JobFeed} (replay, then live):
 * {@code round} per ended round, {@code job} after each round and at the end, {@code log} per new
 * coordinator log line of the job ({@code {"time","level","message"}}), and a keep-alive
 * comment every so often so that proxies keep the connection open.
 */
final class JobEventStream {

    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final CoordinatorApp app;

    JobEventStream(CoordinatorApp app) {
        this.app = app;
    }

    void open(RoutingContext ctx, Principal p) {
        String jobId = ctx.queryParams().get("job");
        if (jobId == null || jobId.isEmpty()) {
            HttpErrors.send(ctx, AppError.of(AppError.Kind.INVALID_ARGUMENT, "job: the job id is required (?job=ID)"));
            return;
        }
        Context loop = ctx.vertx().getOrCreateContext();
        ctx.vertx().executeBlocking(() -> app.job(p, jobId), false).onFailure(t -> HttpErrors.send(ctx, t))
                .onSuccess(job -> start(ctx, loop, p, jobId));
    }

    private void start(RoutingContext ctx, Context loop, Principal p, String jobId) {
        HttpServerResponse res = ctx.response();
        res.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-store")
                .putHeader("X-Accel-Buffering", "no");
        res.write(": stream of job " + jobId + "\n\n");
        long timer = ctx.vertx().setPeriodic(KEEP_ALIVE.toMillis(), id -> {
            if (!res.ended()) {
                res.write(": keep-alive\n\n");
            }
        });
        JobFeed.Sink sink = new JobFeed.Sink() {
            @Override
            public void round(RoundSummary round) {
                JsonObject r = JsonViews.round(round);
                loop.runOnContext(v -> send(res, "round", r));
                refreshJob(ctx, loop, res, p, jobId, false);
            }

            @Override
            public void ended(JobRecord job) {
                refreshJob(ctx, loop, res, p, jobId, true);
            }

            @Override
            public void failed(AppError error) {
                loop.runOnContext(v -> {
                    send(res, "error", new JsonObject().put("status", error.httpStatus()).put("message",
                            error.getMessage()));
                    end(res);
                });
            }
        };
        // Log lines from now on; the page fetches the backlog from /jobs/{id}/log.
        AutoCloseable logs = app.followJobLog(jobId, line -> {
            JsonObject l = JsonViews.logLine(line);
            loop.runOnContext(v -> send(res, "log", l));
        });
        res.closeHandler(v -> closeQuietly(logs));
        ctx.vertx().executeBlocking(() -> app.feed().open(jobId, sink), false).onComplete(opened -> {
            if (opened.failed()) {
                closeQuietly(logs);
                end(res);
                return;
            }
            res.closeHandler(v -> {
                ctx.vertx().cancelTimer(timer);
                closeQuietly(logs);
                closeQuietly(opened.result());
            });
            if (res.closed()) {
                ctx.vertx().cancelTimer(timer);
                closeQuietly(logs);
                closeQuietly(opened.result());
            }
        });
        res.endHandler(v -> {
            ctx.vertx().cancelTimer(timer);
            closeQuietly(logs);
        });
    }

    /** Reads the job off the caller's thread (the round loop must not block), then sends it. */
    private void refreshJob(RoutingContext ctx, Context loop, HttpServerResponse res, Principal p, String jobId,
            boolean last) {
        ctx.vertx().executeBlocking(() -> JsonViews.job(app.job(p, jobId), app.rounds(p, jobId)), true)
                .onComplete(j -> loop.runOnContext(v -> {
                    if (j.succeeded()) {
                        send(res, "job", j.result());
                    }
                    if (last) {
                        end(res);
                    }
                }));
    }

    private static void send(HttpServerResponse res, String event, JsonObject data) {
        if (!res.ended() && !res.closed()) {
            res.write("event: " + event + "\ndata: " + data.encode() + "\n\n");
        }
    }

    private static void end(HttpServerResponse res) {
        if (!res.ended() && !res.closed()) {
            res.end();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Unsubscribing cannot fail in a way the client could act on.
        }
    }
}
