package io.fedlora.client.agent;

import io.fedlora.proto.v1.TrainTask;
import io.fedlora.tracing.TraceContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;

/**
 * The agent's span per task ({@code fedlora.task}), linked to the round's span on the coordinator
 * through the task's traceparent, with a child span per step (fetch, train, upload) so an operator
 * sees where a slow client spent its part of the round. Attributes never carry data or secrets.
 */
final class TaskSpans {

    static final String INSTRUMENTATION = "io.fedlora.agent";
    static final AttributeKey<String> NODE = AttributeKey.stringKey("fedlora.node");
    static final AttributeKey<Boolean> SECURE = AttributeKey.booleanKey("fedlora.secure_aggregation");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("fedlora.task_outcome");

    private final Tracer tracer;

    TaskSpans(OpenTelemetry otel) {
        this.tracer = otel.getTracer(INSTRUMENTATION);
    }

    /** Starts the task's span (a new trace, linked to the round when the task names one). */
    Span start(TrainTask t, String nodeId) {
        SpanBuilder b = tracer.spanBuilder("fedlora.task").setNoParent().setSpanKind(SpanKind.CONSUMER)
                .setAttribute(TraceContext.JOB, t.getJobId()).setAttribute(TraceContext.ROUND, (long) t.getRound())
                .setAttribute(NODE, nodeId).setAttribute(SECURE, t.hasSecagg());
        SpanContext round = TraceContext.fromTraceparent(t.getTraceparent());
        if (round.isValid()) {
            b.addLink(round);
        }
        return b.startSpan();
    }

    /** A step of {@code task}, as its child; end it when the step is done. */
    Span step(Span task, String name) {
        return tracer.spanBuilder("fedlora." + name).setParent(io.opentelemetry.context.Context.root().with(task))
                .startSpan();
    }
}
