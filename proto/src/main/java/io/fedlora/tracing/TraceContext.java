package io.fedlora.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.Map;

/**
 * A round's span context as it travels in a task (a W3C {@code traceparent}), and the attribute
 * names both sides put on their spans, so a tracing backend joins a round to its agents' tasks.
 */
public final class TraceContext {

    public static final AttributeKey<String> JOB = AttributeKey.stringKey("fedlora.job");
    public static final AttributeKey<Long> ROUND = AttributeKey.longKey("fedlora.round");

    private static final TextMapGetter<Map<String, String>> MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private TraceContext() {}

    /** {@code span}'s traceparent; "" when it is not recording (tracing off). */
    public static String traceparent(Span span) {
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), carrier, Map::put);
        return carrier.getOrDefault("traceparent", "");
    }

    /** The span context a traceparent names; invalid for "" or a malformed value (it is only a link). */
    public static SpanContext fromTraceparent(String traceparent) {
        if (traceparent == null || traceparent.isEmpty()) {
            return SpanContext.getInvalid();
        }
        Context c = W3CTraceContextPropagator.getInstance().extract(Context.root(),
                Map.of("traceparent", traceparent), MAP);
        return Span.fromContext(c).getSpanContext();
    }
}
