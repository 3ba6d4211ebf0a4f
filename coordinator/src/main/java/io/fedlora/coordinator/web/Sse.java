package io.fedlora.coordinator.web;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** Writing server-sent events: the headers, one event, the end; all on the response's event loop. */
final class Sse {

    private Sse() {}

    /** Starts the event stream with a first comment line (so the browser sees it open at once). */
    static void begin(HttpServerResponse res, String comment) {
        res.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-store")
                .putHeader("X-Accel-Buffering", "no");
        res.write(": " + comment + "\n\n");
    }

    static void send(HttpServerResponse res, String event, JsonObject data) {
        if (!res.ended() && !res.closed()) {
            res.write("event: " + event + "\ndata: " + data.encode() + "\n\n");
        }
    }

    static void comment(HttpServerResponse res, String text) {
        if (!res.ended() && !res.closed()) {
            res.write(": " + text + "\n\n");
        }
    }

    static void end(HttpServerResponse res) {
        if (!res.ended() && !res.closed()) {
            res.end();
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Unsubscribing cannot fail in a way the client could act on.
        }
    }
}
