package io.fedlora.coordinator.metrics;

import io.fedlora.coordinator.round.ConnectedNodes;
import io.fedlora.coordinator.round.RoundObserver;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The federation's own meters, fed by the round loop as a {@link RoundObserver}: rounds started,
 * completed and aborted (by reason), stage latency histograms and dropouts by stage, connected
 * nodes, and the client-level ε each job has spent. Only ids, counts and durations reach it.
 */
public final class FederationMetrics implements RoundObserver {

    private final MeterRegistry registry;
    private final Counter started;
    private final Counter completed;
    /** Per job, the cumulative client-level ε as a double's bits (a gauge reads it). */
    private final Map<String, AtomicLong> epsilonBits = new ConcurrentHashMap<>();

    public FederationMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.started = Counter.builder("fedlora.rounds.started").description("Round attempts started")
                .register(registry);
        this.completed = Counter.builder("fedlora.rounds.completed")
                .description("Rounds that published a new adapter version").register(registry);
    }

    /** A gauge of the nodes connected now. */
    public FederationMetrics watchConnectedNodes(ConnectedNodes nodes) {
        Gauge.builder("fedlora.nodes.connected", nodes, n -> n.connectedNodes().size())
                .description("Client nodes with an open Connect stream").register(registry);
        return this;
    }

    @Override
    public String roundStarted(String jobId, int round, int cohortSize, boolean secure) {
        started.increment();
        return "";
    }

    @Override
    public void stageClosed(String jobId, int round, String stage, Duration took, int dropped) {
        Timer.builder("fedlora.round.stage").description("How long each stage of a round took")
                .tag("stage", stage).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(30))
                .register(registry).record(took);
        Counter dropouts = Counter.builder("fedlora.dropouts").description("Nodes asked in a stage that did not answer it")
                .tag("stage", stage).register(registry);
        if (dropped > 0) {
            dropouts.increment(dropped);
        }
    }

    @Override
    public void roundEnded(RoundSummary s) {
        if (s.getState() == RoundState.ROUND_STATE_COMPLETED) {
            completed.increment();
            if (s.hasClientDp()) {
                epsilonSpent(s.getJobId()).set(Double.doubleToLongBits(s.getClientDp().getCumulativeEpsilon()));
            }
        } else if (s.getState() == RoundState.ROUND_STATE_ABORTED) {
            Counter.builder("fedlora.rounds.aborted").description("Round attempts aborted, by reason")
                    .tag("reason", AbortReason.of(s.getAbortReason())).register(registry).increment();
        }
    }

    private AtomicLong epsilonSpent(String jobId) {
        return epsilonBits.computeIfAbsent(jobId, id -> {
            AtomicLong bits = new AtomicLong(Double.doubleToLongBits(0));
            Gauge.builder("fedlora.job.epsilon.spent", bits, b -> Double.longBitsToDouble(b.get()))
                    .description("Client-level differential privacy spent by the job so far (epsilon)")
                    .tag("job", id).register(registry);
            return bits;
        });
    }
}
