package io.fedlora.coordinator.round;

import io.fedlora.proto.v1.RoundSummary;
import java.time.Duration;
import java.util.List;

/**
 * What metrics and traces learn about rounds, from the round loop's own thread. Implementations
 * must be quick and must not throw; they see ids, counts and durations, never an update or a key.
 */
public interface RoundObserver {

    /** Observes nothing. */
    RoundObserver NONE = new RoundObserver() { };

    /** Stage names, as tags and span names: the four SecAgg+ stages, plaintext collection, aggregation and publishing. */
    String ADVERTISE_KEYS = "advertise_keys";
    String SHARE_KEYS = "share_keys";
    String MASKED_INPUT = "masked_input";
    String UNMASK = "unmask";
    String COLLECT = "collect";
    String AGGREGATE = "aggregate";
    String PUBLISH = "publish";

    /**
     * A round attempt starts with {@code cohortSize} selected nodes. Returns the W3C traceparent of
     * the round's span for the task, or "" when the round is not traced.
     */
    default String roundStarted(String jobId, int round, int cohortSize, boolean secure) {
        return "";
    }

    /** A stage of the round closed after {@code took}; {@code dropped} nodes asked in it did not answer. */
    default void stageClosed(String jobId, int round, String stage, Duration took, int dropped) { }

    /**
     * The round ended: completed (published), or aborted with its reason (too few nodes, cancelled,
     * coordinator shutting down).
     */
    default void roundEnded(RoundSummary summary) { }

    /** All of {@code observers}, in order; the first non-empty traceparent is the round's. */
    static RoundObserver all(List<RoundObserver> observers) {
        List<RoundObserver> list = List.copyOf(observers);
        return new RoundObserver() {
            @Override
            public String roundStarted(String jobId, int round, int cohortSize, boolean secure) {
                String traceparent = "";
                for (RoundObserver o : list) {
                    String t = o.roundStarted(jobId, round, cohortSize, secure);
                    if (traceparent.isEmpty() && t != null) {
                        traceparent = t;
                    }
                }
                return traceparent;
            }

            @Override
            public void stageClosed(String jobId, int round, String stage, Duration took, int dropped) {
                list.forEach(o -> o.stageClosed(jobId, round, stage, took, dropped));
            }

            @Override
            public void roundEnded(RoundSummary summary) {
                list.forEach(o -> o.roundEnded(summary));
            }
        };
    }
}
