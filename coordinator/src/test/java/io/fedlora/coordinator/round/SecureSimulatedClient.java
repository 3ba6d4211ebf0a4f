package io.fedlora.coordinator.round;

import com.google.protobuf.ByteString;
import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.encoding.SecureUpdateFormat;
import io.fedlora.crypto.secagg.ClientId;
import io.fedlora.crypto.secagg.KeyDirectory;
import io.fedlora.crypto.secagg.MaskedInput;
import io.fedlora.crypto.secagg.MaskedVector;
import io.fedlora.crypto.secagg.RoundConfig;
import io.fedlora.crypto.secagg.SecAggClient;
import io.fedlora.crypto.secagg.ServerMessage;
import io.fedlora.crypto.secagg.ShareBundle;
import io.fedlora.crypto.secagg.UnmaskRequest;
import io.fedlora.proto.v1.AgentEvent;
import io.fedlora.proto.v1.SecAggEnvelope;
import io.fedlora.proto.v1.TrainTask;
import io.fedlora.proto.v1.UpdateEncoding;
import io.fedlora.proto.v1.UpdateHeader;
import io.fedlora.rounds.SecureRoundSetup;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A client in the same JVM that runs the real SecAgg+ client state machine against the
 * coordinator, through the in-memory transport seam: honest, dropping out at a given stage, or
 * misbehaving in one of the ways a hostile or broken client would.
 */
final class SecureSimulatedClient implements AutoCloseable {

    enum Behaviour {
        HONEST,
        /** Disconnects at stage 1 (on the task), 2 (key directory), 3 (share bundle) or 4 (unmask request). */
        DROP_AT_1, DROP_AT_2, DROP_AT_3, DROP_AT_4,
        /** Advertises keys signed with a key other than the one it registered. */
        FORGED_SIGNATURE,
        /** Advertises keys made for the next round, in this round's envelope. */
        REPLAYED_FROM_ANOTHER_ROUND,
        /** Sends its advertisement under another node's id first (refused), then honestly. */
        IMPERSONATES_THEN_HONEST,
        /** Uploads a masked vector of the wrong length (refused), then disconnects. */
        WRONG_LENGTH,
        /** Uploads its masked input twice. */
        DUPLICATE_UPLOAD,
        /** Takes part in the key stages, stays connected, but never sends its masked input (still training). */
        STRAGGLER
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    final NodeRecord node;
    final Behaviour behaviour;
    private final Ed25519PrivateKey identity;
    private final RoundScheduler scheduler;
    private final ConnectedNodes nodes;
    private final ExecutorService thread = Executors.newSingleThreadExecutor();
    private final InMemoryClientChannel channel;
    private final String victim;
    private SecAggClient client;
    private TrainTask task;
    /** Encoded vectors (before masking) by round, for checking the coordinator's sum. */
    final Map<Integer, int[]> encoded = new ConcurrentHashMap<>();
    /** What the coordinator answered to calls it refused. */
    final List<RuntimeException> refusals = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    /** Every task this client was sent, in order. */
    final List<TrainTask> tasks = new CopyOnWriteArrayList<>();

    SecureSimulatedClient(String name, long examples, Behaviour behaviour, RoundScheduler scheduler,
            ConnectedNodes nodes, String victim) {
        this.identity = Ed25519PrivateKey.generate(RANDOM);
        this.node = new NodeRecord("id-" + name, name, List.of(Fixtures.MODEL_SHA), examples, "cpu", 0,
                io.fedlora.crypto.Bytes.copyOf(identity.publicKey().toBytes()).toHex());
        this.behaviour = behaviour;
        this.scheduler = scheduler;
        this.nodes = nodes;
        this.victim = victim;
        this.channel = new InMemoryClientChannel(this::onEvent, thread);
    }

    void connect() {
        nodes.attach(node, channel);
    }

    private void drop() {
        nodes.detach(node.nodeId(), channel);
    }

    private void onEvent(AgentEvent e) {
        try {
            if (e.hasTrain()) {
                onTask(e.getTrain());
            } else if (e.hasSecagg()) {
                onStage(ServerMessage.parse(e.getSecagg().getMessage().toByteArray()));
            }
        } catch (Throwable t) {
            errors.add(t);
        }
    }

    private void onTask(TrainTask t) {
        task = t;
        tasks.add(t);
        if (behaviour == Behaviour.DROP_AT_1) {
            drop();
            return;
        }
        RoundConfig config = SecureRoundSetup.roundConfig(t.getJobId(), t.getRound(), t.getSecagg());
        ClientId self = ClientId.of(node.nodeId());
        switch (behaviour) {
            case FORGED_SIGNATURE -> {
                Ed25519PrivateKey other = Ed25519PrivateKey.generate(RANDOM);
                SecAggClient forged = SecAggClient.create(withIdentity(config, self, other), self, other, RANDOM);
                send(forged.advertiseKeys().toBytes(), node.nodeId());
                return;
            }
            case REPLAYED_FROM_ANOTHER_ROUND -> {
                var next = SecureRoundSetup.roundConfig(t.getJobId(), t.getRound() + 1, t.getSecagg());
                send(SecAggClient.create(next, self, identity, RANDOM).advertiseKeys().toBytes(), node.nodeId());
                return;
            }
            default -> { }
        }
        client = SecAggClient.create(config, self, identity, RANDOM);
        byte[] advert = client.advertiseKeys().toBytes();
        if (behaviour == Behaviour.IMPERSONATES_THEN_HONEST) {
            send(advert, victim);
        }
        send(advert, node.nodeId());
    }

    private static RoundConfig withIdentity(RoundConfig c, ClientId self, Ed25519PrivateKey key) {
        Map<ClientId, io.fedlora.crypto.Ed25519PublicKey> ids = new java.util.LinkedHashMap<>();
        c.cohort().forEach(id -> ids.put(id, c.identityKey(id)));
        ids.put(self, key.publicKey());
        return RoundConfig.builder().roundId(c.roundId()).cohort(c.cohort()).identities(ids)
                .graphSeed(c.graphSeed()).parameters(c.parameters()).vectorLength(c.vectorLength()).build();
    }

    private void onStage(ServerMessage m) {
        if ((m instanceof KeyDirectory && behaviour == Behaviour.DROP_AT_2)
                || (m instanceof ShareBundle && behaviour == Behaviour.DROP_AT_3)
                || (m instanceof UnmaskRequest && behaviour == Behaviour.DROP_AT_4)) {
            drop();
            return;
        }
        if (behaviour == Behaviour.STRAGGLER && client.stage() == io.fedlora.crypto.secagg.ClientStage.READY_TO_MASK) {
            return; // still training when the round moves on without it
        }
        client.handle(m).ifPresent(reply -> send(reply.toBytes(), node.nodeId()));
        if (m instanceof ShareBundle && behaviour != Behaviour.STRAGGLER) {
            upload();
        }
    }

    /** Nodes with an even example count hold held-out data and send this score; the others none. */
    static io.fedlora.crypto.encoding.EvalScore heldOut(NodeRecord n) {
        return n.numExamples() % 2 != 0 ? null
                : new io.fedlora.crypto.encoding.EvalScore((n.numExamples() % 10) / 10.0, n.numExamples() / 100.0);
    }

    /** Stage 3, right away: the update is the fixture delta, weighted by the node's examples. */
    private void upload() {
        int dimension = (int) io.fedlora.adapter.LoraLayouts.totalElements(task.getAdapterLayout());
        SecureUpdateFormat format = SecureRoundSetup.format(task.getSecagg(), dimension);
        float[] delta = Fixtures.delta(node.nodeName(), task.getRound(), dimension);
        int[] words = format.encode(delta, (int) node.numExamples(), 1.5, heldOut(node), RANDOM);
        encoded.put(task.getRound(), words.clone());
        byte[] wire = client.maskInput(words).toBytes();
        if (behaviour == Behaviour.WRONG_LENGTH) {
            byte[] shorter = new MaskedInput(MaskedInput.parse(wire).roundId(), ClientId.of(node.nodeId()),
                    MaskedVector.of(new int[words.length - 1])).toBytes();
            submit(shorter, words.length - 1);
            drop();
            return;
        }
        submit(wire, words.length);
        if (behaviour == Behaviour.DUPLICATE_UPLOAD) {
            submit(wire, words.length);
        }
    }

    private void submit(byte[] wire, int words) {
        UpdateHeader h = UpdateHeader.newBuilder().setNodeId(node.nodeId()).setJobId(task.getJobId())
                .setRound(task.getRound()).setBaseAdapterVersion(task.getAdapterVersion())
                .setEncoding(UpdateEncoding.UPDATE_ENCODING_SECAGG_MASKED).setElementCount(words)
                .setPayloadSha256(Sha256.hex(wire)).setTrainSeconds(0.1).build();
        try {
            scheduler.checkUpdateHeader(h);
            scheduler.submitUpdate(h, wire);
        } catch (RuntimeException e) {
            refusals.add(e);
        }
    }

    private void send(byte[] wire, String asNode) {
        try {
            scheduler.receiveSecAgg(SecAggEnvelope.newBuilder().setNodeId(asNode).setJobId(task.getJobId())
                    .setRound(task.getRound()).setMessage(ByteString.copyFrom(wire)).build());
        } catch (RuntimeException e) {
            refusals.add(e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
