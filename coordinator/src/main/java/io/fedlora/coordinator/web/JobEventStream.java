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
 * {@code GET /api/v1/events?job=ID} (without {@code job}: {@link AllJobsEventStream}): server-sent events from the {@link JobFeed} (replay, then live):
 * {@code round} per ended round, {@code job} after each round and at the end, {@code log} per new
 * coordinator log line of the job ({@code {"time","level","message"}}), and a keep-alive
 * comment every so often so that proxies keep the connection open.
 */
final class JobEventStream {

    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final CoordinatorApp app;
    private final AllJobsEventStream allJobs;

    JobEventStream(CoordinatorApp app) {
        this.app = app;
        this.allJobs = new AllJobsEventStream(app);
    }

    void open(RoutingContext ctx, Principal p) {
        String jobId = ctx.queryParams().get("job");
        if (jobId == null) {
            allJobs.open(ctx, p);
            return;
        }
        if (jobId.isEmpty()) {
            HttpErrors.send(ctx, AppError.of(AppError.Kind.INVALID_ARGUMENT, "job: the job id is required (?job=ID)"));
            return;
        }
        Context loop = ctx.vertx().getOrCreateContext();
        ctx.vertx().executeBlocking(() -> app.job(p, jobId), false).onFailure(t -> HttpErrors.send(ctx, t))
                .onSuccess(job -> start(ctx, loop, p, job));
    }

    private void start(RoutingContext ctx, Context loop, Principal p, JobRecord jobRecord) {
        String jobId = jobRecord.jobId();
        HttpServerResponse res = ctx.response();
        Sse.begin(res, "stream of job " + jobId);
        long timer = ctx.vertx().setPeriodic(KEEP_ALIVE.toMillis(), id -> Sse.comment(res, "keep-alive"));
        JobFeed.Sink sink = new JobFeed.Sink() {
            // The feed sends each ended round once, in order: completed ones are counted for the ε bound.
            private int completed;

            @Override
            public void round(RoundSummary round) {
                JsonObject r = JsonViews.round(round);
                if (round.getState() == io.fedlora.proto.v1.RoundState.ROUND_STATE_COMPLETED) {
                    JsonViews.withRecordDp(r, jobRecord.config(), ++completed);
                }
                loop.runOnContext(v -> Sse.send(res, "round", r));
                refreshJob(ctx, loop, res, p, jobId, false);
            }

            @Override
            public void ended(JobRecord job) {
                refreshJob(ctx, loop, res, p, jobId, true);
            }

            @Override
            public void failed(AppError error) {
                loop.runOnContext(v -> {
                    Sse.send(res, "error", new JsonObject().put("status", error.httpStatus()).put("message",
                            error.getMessage()));
                    Sse.end(res);
                });
            }
        };
        // Log lines from now on; the page fetches the backlog from /jobs/{id}/log.
        AutoCloseable logs = app.followJobLog(jobId, line -> {
            JsonObject l = JsonViews.logLine(line);
            loop.runOnContext(v -> Sse.send(res, "log", l));
        });
        res.closeHandler(v -> Sse.closeQuietly(logs));
        ctx.vertx().executeBlocking(() -> app.feed().open(jobId, sink), false).onComplete(opened -> {
            if (opened.failed()) {
                Sse.closeQuietly(logs);
                Sse.end(res);
                return;
            }
            res.closeHandler(v -> {
                ctx.vertx().cancelTimer(timer);
                Sse.closeQuietly(logs);
                Sse.closeQuietly(opened.result());
            });
            if (res.closed()) {
                ctx.vertx().cancelTimer(timer);
                Sse.closeQuietly(logs);
                Sse.closeQuietly(opened.result());
            }
        });
        res.endHandler(v -> {
            ctx.vertx().cancelTimer(timer);
            Sse.closeQuietly(logs);
        });
    }

    /** Reads the job off the caller's thread (the round loop must not block), then sends it. */
    private void refreshJob(RoutingContext ctx, Context loop, HttpServerResponse res, Principal p, String jobId,
            boolean last) {
        ctx.vertx().executeBlocking(() -> JsonViews.job(app.job(p, jobId), app.rounds(p, jobId)), true)
                .onComplete(j -> loop.runOnContext(v -> {
                    if (j.succeeded()) {
                        Sse.send(res, "job", j.result());
                    }
                    if (last) {
                        Sse.end(res);
                    }
                }));
    }
}
