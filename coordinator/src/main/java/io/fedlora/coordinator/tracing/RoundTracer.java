package io.fedlora.coordinator.tracing;

import io.fedlora.coordinator.round.RoundObserver;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.tracing.TraceContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A span per round attempt, with a child span per stage (the SecAgg+ stages, collection,
 * aggregation, publishing); attributes job, round, cohort size and dropouts. The round's span
 * context travels in the task as a W3C traceparent, so each agent's task span can link to it.
 */
public final class RoundTracer implements RoundObserver {

    public static final String INSTRUMENTATION = "io.fedlora.coordinator";
    public static final AttributeKey<String> JOB = TraceContext.JOB;
    public static final AttributeKey<Long> ROUND = TraceContext.ROUND;
    public static final AttributeKey<Long> COHORT_SIZE = AttributeKey.longKey("fedlora.cohort_size");
    public static final AttributeKey<Long> DROPOUTS = AttributeKey.longKey("fedlora.dropouts");
    public static final AttributeKey<Long> CONTRIBUTORS = AttributeKey.longKey("fedlora.contributors");
    public static final AttributeKey<Boolean> SECURE = AttributeKey.booleanKey("fedlora.secure_aggregation");
    public static final AttributeKey<String> STAGE = AttributeKey.stringKey("fedlora.stage");
    public static final AttributeKey<String> STATE = AttributeKey.stringKey("fedlora.round_state");

    private record Open(Span span, int[] dropouts) { }

    private final Tracer tracer;
    private final Map<String, Open> open = new ConcurrentHashMap<>();

    public RoundTracer(OpenTelemetry otel) {
        this.tracer = otel.getTracer(INSTRUMENTATION);
    }

    private static String key(String jobId, int round) {
        return jobId + "/" + round;
    }

    @Override
    public String roundStarted(String jobId, int round, int cohortSize, boolean secure) {
        Span span = tracer.spanBuilder("fedlora.round").setNoParent()
                .setAttribute(JOB, jobId).setAttribute(ROUND, (long) round)
                .setAttribute(COHORT_SIZE, (long) cohortSize).setAttribute(SECURE, secure).startSpan();
        Open previous = open.put(key(jobId, round), new Open(span, new int[1]));
        if (previous != null) {
            previous.span().end();
        }
        return TraceContext.traceparent(span);
    }

    @Override
    public void stageClosed(String jobId, int round, String stage, Duration took, int dropped) {
        Open o = open.get(key(jobId, round));
        if (o == null) {
            return;
        }
        Instant end = Instant.now();
        Instant start = end.minus(took);
        o.dropouts()[0] += dropped;
        tracer.spanBuilder("fedlora." + stage).setParent(Context.root().with(o.span()))
                .setStartTimestamp(start.getEpochSecond() * 1_000_000_000L + start.getNano(), TimeUnit.NANOSECONDS)
                .setAttribute(JOB, jobId).setAttribute(ROUND, (long) round).setAttribute(STAGE, stage)
                .setAttribute(DROPOUTS, (long) dropped).startSpan()
                .end(end.getEpochSecond() * 1_000_000_000L + end.getNano(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void roundEnded(RoundSummary s) {
        Open o = open.remove(key(s.getJobId(), s.getRound()));
        if (o == null) {
            return;
        }
        Span span = o.span();
        span.setAttribute(DROPOUTS, (long) o.dropouts()[0]);
        span.setAttribute(CONTRIBUTORS, (long) s.getContributingNodesCount());
        span.setAttribute(STATE, s.getState() == RoundState.ROUND_STATE_COMPLETED ? "completed" : "aborted");
        if (s.getState() != RoundState.ROUND_STATE_COMPLETED) {
            span.setStatus(StatusCode.ERROR, s.getAbortReason());
        }
        span.end();
    }
}
