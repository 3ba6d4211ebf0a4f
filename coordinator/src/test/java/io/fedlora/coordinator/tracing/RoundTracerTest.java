package io.fedlora.coordinator.tracing;

import io.fedlora.tracing.Tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.round.ConnectedNodes;
import io.fedlora.coordinator.round.RoundObserver;
import io.fedlora.coordinator.round.SecureFederationFixture;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrainTask;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** After a real secure round: one round span, a child per stage, and the round's traceparent in every task. */
@Timeout(120)
class RoundTracerTest {

    @TempDir
    Path dir;

    @Test
    void aSecureRoundMakesARoundSpanWithAChildPerStageAndItsTraceparentReachesTheTasks() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        List<RoundSummary> rounds;
        List<TrainTask> tasks;
        List<SpanData> spans;
        try (Tracing tracing = Tracing.to("fedlora-coordinator-test", exporter);
                SecureFederationFixture federation = new SecureFederationFixture(dir, new ConnectedNodes(),
                        new RoundTracer(tracing.openTelemetry()))) {
            federation.connect(4);
            rounds = federation.runJob(1);
            tasks = federation.tasks();
            tracing.flush();
            spans = exporter.getFinishedSpanItems(); // shutting the exporter down clears it
        }
        List<SpanData> roundSpans = spans.stream().filter(s -> s.getName().equals("fedlora.round")).toList();
        assertEquals(1, roundSpans.size(), spans.toString());
        SpanData round = roundSpans.get(0);
        assertFalse(round.getParentSpanContext().isValid(), "a round span is a root");
        assertEquals(rounds.get(0).getJobId(), round.getAttributes().get(RoundTracer.JOB));
        assertEquals(1L, round.getAttributes().get(RoundTracer.ROUND));
        long selected = rounds.get(0).getSelectedNodesCount();
        long contributors = rounds.get(0).getContributingNodesCount();
        assertEquals(selected, round.getAttributes().get(RoundTracer.COHORT_SIZE));
        assertEquals(contributors, round.getAttributes().get(RoundTracer.CONTRIBUTORS));
        // The cohort is the largest SecAgg+ can run: the client that drops at key sharing may be left out.
        assertEquals(selected - contributors, round.getAttributes().get(RoundTracer.DROPOUTS));
        assertEquals("completed", round.getAttributes().get(RoundTracer.STATE));

        Map<String, SpanData> children = spans.stream()
                .filter(s -> s.getParentSpanId().equals(round.getSpanId()))
                .collect(Collectors.toMap(SpanData::getName, s -> s));
        assertEquals(List.of("fedlora.advertise_keys", "fedlora.aggregate", "fedlora.masked_input", "fedlora.publish",
                "fedlora.share_keys", "fedlora.unmask"), children.keySet().stream().sorted().toList());
        for (SpanData child : children.values()) {
            assertEquals(round.getTraceId(), child.getTraceId());
            assertTrue(child.getStartEpochNanos() >= round.getStartEpochNanos()
                    && child.getEndEpochNanos() <= round.getEndEpochNanos(), child.getName() + " inside its round");
        }
        assertEquals(selected - contributors, children.get("fedlora.share_keys").getAttributes().get(RoundTracer.DROPOUTS));
        assertEquals(0L, children.get("fedlora.unmask").getAttributes().get(RoundTracer.DROPOUTS));

        // The flags byte may carry the random-trace-id bit besides 'sampled'.
        String traceparent = "00-" + round.getTraceId() + "-" + round.getSpanId() + "-";
        assertEquals(selected, tasks.size());
        tasks.forEach(t -> assertTrue(t.getTraceparent().startsWith(traceparent), t.getTraceparent()));
    }

    @Test
    void withoutTracingTasksCarryNoTraceparent() throws Exception {
        try (SecureFederationFixture federation = new SecureFederationFixture(dir, new ConnectedNodes(),
                RoundObserver.NONE)) {
            federation.connect(4);
            federation.runJob(1);
            federation.tasks().forEach(t -> assertEquals("", t.getTraceparent()));
        }
    }
}
