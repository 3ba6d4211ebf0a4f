package io.fedlora.coordinator.web;

import io.fedlora.coordinator.app.AppError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writes an {@link AppError} as the API's JSON error body: {@code {"error":{"status","message","field"}}}. */
final class HttpErrors {

    private HttpErrors() {}

    static void send(RoutingContext ctx, AppError e) {
        if (ctx.response().ended() || ctx.response().headWritten()) {
            return;
        }
        int status = e.httpStatus();
        JsonObject body = new JsonObject().put("error", new JsonObject().put("status", status)
                .put("message", e.getMessage()).put("field", e.field().orElse(null)));
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(body.encode());
    }

    static void send(RoutingContext ctx, Throwable t) {
        send(ctx, AppError.of(t));
    }
}
