package io.fedlora.coordinator.web;

import io.fedlora.coordinator.app.CoordinatorApp;
import io.fedlora.coordinator.app.Principal;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /api/v1/events} without {@code ?job=}: one stream for the jobs list. A {@code job}
 * event carries a job's row (as in {@code GET /api/v1/jobs}): first every job, then each job again
 * whenever it is created, changes state or ends a round, for as long as the page stays open.
 */
final class AllJobsEventStream {

    private final CoordinatorApp app;

    AllJobsEventStream(CoordinatorApp app) {
        this.app = app;
    }

    void open(RoutingContext ctx, Principal p) {
        Context loop = ctx.vertx().getOrCreateContext();
        // The caller's right to see the jobs is checked before the stream starts, so a refusal is a status.
        loop.executeBlocking(() -> app.listJobs(p), true).onFailure(t -> HttpErrors.send(ctx, t))
                .onSuccess(allowed -> start(ctx, loop, p));
    }

    private void start(RoutingContext ctx, Context loop, Principal p) {
        HttpServerResponse res = ctx.response();
        Sse.begin(res, "stream of all jobs");
        long timer = ctx.vertx().setPeriodic(JobEventStream.KEEP_ALIVE.toMillis(), id -> Sse.comment(res, "keep-alive"));
        // Reads run in order on this context, so a row sent later is never older than one sent before it.
        AutoCloseable sub = app.feed().followAllJobs(jobId -> loop.executeBlocking(() -> JsonViews.job(app.job(p, jobId),
                app.rounds(p, jobId)), true).onSuccess(row -> Sse.send(res, "job", row)));
        res.closeHandler(v -> {
            ctx.vertx().cancelTimer(timer);
            Sse.closeQuietly(sub);
        });
        // Every row, read after subscribing: a change meanwhile is in the rows or in a later event.
        loop.executeBlocking(() -> JsonViews.jobs(app, p), true)
                .onSuccess(all -> all.forEach(j -> Sse.send(res, "job", (JsonObject) j)));
    }
}
