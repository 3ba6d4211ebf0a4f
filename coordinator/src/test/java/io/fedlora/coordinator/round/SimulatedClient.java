package io.fedlora.coordinator.round;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.AdapterBlob;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.Jobs;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.CancelTask;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/** A client in the same JVM, talking to the coordinator through the in-memory transport seam. */
final class SimulatedClient {

    enum Behaviour { RESPOND, SILENT, DROP_ON_TASK, DECLINE_OUT_OF_BUDGET }

    final NodeRecord node;
    volatile Behaviour behaviour;
    private final Jobs jobs;
    private final RoundScheduler scheduler;
    private final ConnectedNodes nodes;
    private final InMemoryClientChannel channel;
    final AtomicInteger submitted = new AtomicInteger();
    final AtomicInteger tasks = new AtomicInteger();
    /** Every task received, for tests that answer by hand (behaviour SILENT) with {@link #respond}. */
    final BlockingQueue<TrainTask> received = new LinkedBlockingQueue<>();
    /** Every "the round is over" the coordinator sent. */
    final List<CancelTask> cancels = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    SimulatedClient(NodeRecord node, Behaviour behaviour, Jobs jobs, RoundScheduler scheduler, ConnectedNodes nodes,
            Executor executor) {
        this.node = node;
        this.behaviour = behaviour;
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.nodes = nodes;
        this.channel = new InMemoryClientChannel(this::onEvent, executor);
    }

    void connect() {
        nodes.attach(node, channel);
    }

    private void onEvent(AgentEvent e) {
        if (e.hasCancel()) {
            cancels.add(e.getCancel());
        }
        if (!e.hasTrain()) {
            return;
        }
        tasks.incrementAndGet();
        TrainTask t = e.getTrain();
        received.add(t);
        switch (behaviour) {
            case SILENT -> { }
            case DROP_ON_TASK -> nodes.detach(node.nodeId(), channel);
            case DECLINE_OUT_OF_BUDGET -> scheduler.declineTask(io.fedlora.proto.v1.DeclineTaskRequest.newBuilder()
                    .setNodeId(node.nodeId()).setJobId(t.getJobId()).setRound(t.getRound())
                    .setReason(io.fedlora.proto.v1.DeclineReason.DECLINE_REASON_PRIVACY_BUDGET_EXHAUSTED)
                    .setDetail("epsilon would exceed 8").build());
            case RESPOND -> {
                try {
                    respond(t);
                } catch (Throwable ex) {
                    errors.add(ex);
                }
            }
        }
    }

    /** Trains (deterministically) and submits the update for {@code t}; throws what the coordinator refused with. */
    void respond(TrainTask t) {
        AdapterBlob blob = jobs.adapter(t.getJobId(), t.getAdapterVersion());
        if (!blob.sha256().equals(t.getAdapterSha256())) {
            throw new AssertionError("adapter sha mismatch");
        }
        FlatAdapter start;
        try {
            start = FlatAdapter.fromSafetensors(t.getAdapterLayout(), blob.data());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        float[] d = Fixtures.delta(node.nodeName(), t.getRound(), start.values().length);
        scheduler.submitUpdate(header(t, d), FlatAdapter.toLittleEndian(d));
        submitted.incrementAndGet();
    }

    /** Nodes with an even example count hold held-out data and report this score; the others none. */
    static java.util.Optional<io.fedlora.proto.v1.HeldOutScore> heldOut(NodeRecord n) {
        return n.numExamples() % 2 != 0 ? java.util.Optional.empty()
                : java.util.Optional.of(io.fedlora.proto.v1.HeldOutScore.newBuilder()
                        .setExactMatch((n.numExamples() % 10) / 10.0).setLoss(n.numExamples() / 100.0).build());
    }

    UpdateHeader header(TrainTask t, float[] d) {
        UpdateHeader.Builder b = UpdateHeader.newBuilder()
                .setNodeId(node.nodeId())
                .setJobId(t.getJobId())
                .setRound(t.getRound())
                .setBaseAdapterVersion(t.getAdapterVersion())
                .setNumExamples(node.numExamples())
                .setEncoding(UpdateEncoding.UPDATE_ENCODING_PLAINTEXT_F32)
                .setElementCount(d.length)
                .setPayloadSha256(Sha256.hex(FlatAdapter.toLittleEndian(d)))
                .setTrainLoss(2.0 + node.numExamples() * 0.01)
                .setTrainSeconds(0.5);
        heldOut(node).ifPresent(b::setEval);
        return b.build();
    }
}
