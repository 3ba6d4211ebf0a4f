package io.fedlora.coordinator.round;

import io.fedlora.proto.v1.StageTiming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * One round's stage closes: each goes to the round observers (metrics, traces) and is kept for the
 * round's summary, so the dashboard shows where the round spent its time and who dropped where.
 */
final class RoundStages {

    private final JobEvents events;
    private final String jobId;
    private final int round;
    private final List<StageTiming> closed = new ArrayList<>();

    RoundStages(JobEvents events, String jobId, int round) {
        this.events = events;
        this.jobId = jobId;
        this.round = round;
    }

    /** A stage closed after {@code took}; {@code dropped}: the nodes asked in it that never answered. */
    void closed(String stage, Duration took, Collection<String> dropped) {
        synchronized (closed) {
            closed.add(StageTiming.newBuilder().setStage(stage).setDurationMs(took.toMillis())
                    .addAllDroppedNodes(dropped).build());
        }
        events.stageClosed(jobId, round, stage, took, dropped.size());
    }

    /** Closed since {@code startNanos} (a {@link System#nanoTime} reading). */
    void closedSince(String stage, long startNanos, Collection<String> dropped) {
        closed(stage, Duration.ofNanos(System.nanoTime() - startNanos), dropped);
    }

    List<StageTiming> timings() {
        synchronized (closed) {
            return List.copyOf(closed);
        }
    }
}
