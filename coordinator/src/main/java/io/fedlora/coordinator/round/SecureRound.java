package io.fedlora.coordinator.round;

import io.fedlora.adapter.Sha256;
import io.fedlora.coordinator.CoordinatorException.AlreadyExists;
import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.CoordinatorException.InvalidArgument;
import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.crypto.encoding.SecureVectorFormat;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.crypto.secagg.AggregateSum;
import io.fedlora.crypto.secagg.ClientId;
import io.fedlora.crypto.secagg.ClientMessage;
import io.fedlora.crypto.secagg.MalformedMessageException;
import io.fedlora.crypto.secagg.MaskedInput;
import io.fedlora.crypto.secagg.MaskedVector;
import io.fedlora.crypto.secagg.ProtocolViolationException;
import io.fedlora.crypto.secagg.RoundAbortedException;
import io.fedlora.crypto.secagg.RoundConfig;
import io.fedlora.crypto.secagg.SecAggServer;
import io.fedlora.crypto.secagg.ServerMessage;
import io.fedlora.crypto.secagg.ServerStage;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.SecAggSetup;
import io.fedlora.rounds.SecureRoundSetup;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The coordinator's side of one secure round: the crypto library's {@link SecAggServer} plus what
 * the round loop needs around it — who was asked in the current stage and who has answered.
 * Not thread-safe: {@link JobRun} and {@link SecureStages} call it under the run's lock.
 */
final class SecureRound {

    private final SecAggSetup setup;
    private final RoundConfig config;
    private final SecureVectorFormat format;
    /** Present when the round's clients add client-level DP noise. */
    private final DistributedDpParameters clientDp;
    private final SecAggServer server;
    private final int maskedInputBytes;
    private Set<String> asked;
    private final Set<String> answered = new HashSet<>();
    private final Map<String, Double> trainSeconds = new LinkedHashMap<>();

    SecureRound(String jobId, int round, SecAggSetup setup, JobConfig job) {
        this.setup = setup;
        this.config = SecureRoundSetup.roundConfig(jobId, round, setup);
        this.format = SecureRoundSetup.format(jobId, round, setup, job.getAdapterLayout(),
                job.getLora().getAggregationMode());
        this.clientDp = setup.hasDistributedDp() ? SecureRoundSetup.distributedDp(setup,
                UpdateCoordinates.of(job.getAdapterLayout(), job.getLora().getAggregationMode()).count()) : null;
        // Unmasking is the coordinator's heaviest step of a round: give it every core.
        this.server = SecAggServer.create(config).threads(Runtime.getRuntime().availableProcessors());
        this.asked = new HashSet<>(config.cohort().stream().map(ClientId::value).toList());
        ClientId widest = config.cohort().get(0);
        // Header bytes depend only on the ids' lengths: measure once with an empty vector.
        int header = new MaskedInput(config.roundId(), widest, MaskedVector.of(new int[0])).toBytes().length
                - widest.value().length();
        this.maskedInputBytes = header;
    }

    SecAggSetup setup() {
        return setup;
    }

    RoundConfig config() {
        return config;
    }

    SecureVectorFormat format() {
        return format;
    }

    Optional<DistributedDpParameters> clientDp() {
        return Optional.ofNullable(clientDp);
    }

    ServerStage stage() {
        return server.stage();
    }

    /** Exact size of a node's stage-3 upload (a MaskedInput message). */
    long maskedInputSize(String nodeId) {
        return maskedInputBytes + (long) nodeId.length() + 4L * config.vectorLength();
    }

    /** Nodes asked in this stage that have not answered and are not known to be gone. */
    int pending(Set<String> gone) {
        Set<ClientId> offenders = server.offenders();
        int n = 0;
        for (String id : asked) {
            if (!answered.contains(id) && !gone.contains(id) && !offenders.contains(ClientId.of(id))) {
                n++;
            }
        }
        return n;
    }

    /** Nodes asked in the current stage that have not answered it (yet): at a stage's close, its dropouts. */
    List<String> unanswered() {
        List<String> out = new ArrayList<>();
        for (String id : asked) {
            if (!answered.contains(id)) {
                out.add(id);
            }
        }
        return out;
    }

    /** Whether {@code nodeId} may still answer in this stage (it was asked and has not yet). */
    boolean awaiting(String nodeId) {
        return asked.contains(nodeId) && !answered.contains(nodeId);
    }

    /** A stage-1, -2 or -4 message from {@code nodeId}, in wire form. */
    void receive(String nodeId, byte[] wire) {
        ClientMessage m;
        try {
            m = ClientMessage.parse(wire);
        } catch (MalformedMessageException e) {
            throw new InvalidArgument("message: not a SecAgg+ client message (" + e.getMessage() + ")");
        }
        deliver(nodeId, m, null);
    }

    /** A node's stage-3 upload: a MaskedInput message of {@link #maskedInputSize} bytes. */
    void receiveMaskedInput(String nodeId, byte[] wire, double seconds) {
        MaskedInput m;
        try {
            m = MaskedInput.parse(wire);
        } catch (MalformedMessageException | ClassCastException e) {
            throw new InvalidArgument("payload: not a SecAgg+ masked input (" + e.getMessage() + ")");
        }
        deliver(nodeId, m, seconds);
    }

    private void deliver(String nodeId, ClientMessage m, Double seconds) {
        if (!m.sender().value().equals(nodeId)) {
            throw new InvalidArgument("message: sent by " + m.sender() + " inside a call from node " + nodeId);
        }
        if (server.stage().accepts() != m.type()) {
            throw new FailedPrecondition("message: round " + config.roundId().round() + " is in stage "
                    + server.stage() + ", which does not take " + m.type());
        }
        if (answered.contains(nodeId)) {
            // A retry whose first reply was lost: the first one counts.
            throw new AlreadyExists("node " + nodeId + " already sent its " + m.type() + " for round "
                    + config.roundId().round());
        }
        try {
            server.receive(m);
        } catch (ProtocolViolationException e) {
            // The library has dropped the node from the round; say why, by id only.
            switch (e.reason()) {
                case WRONG_ROUND, WRONG_JOB, NOT_EXPECTED_IN_STAGE ->
                        throw new FailedPrecondition("secagg: " + e.getMessage());
                default -> throw new InvalidArgument("secagg: " + e.getMessage() + "; node dropped from the round");
            }
        }
        answered.add(nodeId);
        if (seconds != null) {
            trainSeconds.put(nodeId, seconds);
        }
    }

    /** Closes the current collecting stage; returns each recipient's next message in wire form. */
    Map<String, byte[]> advance() {
        Map<ClientId, ServerMessage> out = server.advance();
        Map<String, byte[]> wire = new LinkedHashMap<>();
        out.forEach((id, msg) -> wire.put(id.value(), msg.toBytes()));
        asked = new HashSet<>(wire.keySet());
        answered.clear();
        return wire;
    }

    /** Masked inputs received so far (meaningful in stage 3). */
    int maskedInputs() {
        return server.stage() == ServerStage.COLLECTING_MASKED_INPUTS ? answered.size() : -1;
    }

    /**
     * Rebuilds the needed secrets and removes every mask. Throws RoundAbortedException below threshold,
     * and when the sum does not decode: any client can mask arbitrary words, and that must cost the
     * round, not the job.
     */
    Result finish() {
        AggregateSum sum = server.finish();
        int[] words = sum.sum();
        ByteBuffer le = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        le.asIntBuffer().put(words);
        String sha = Sha256.hex(le.array());
        SecureVectorFormat.Aggregate decoded;
        try {
            decoded = format.decode(words, sum.contributors().size());
        } catch (IllegalArgumentException e) {
            // A cohort member can make the sum undecodable (e.g. a negative weight): abort and rerun.
            throw new RoundAbortedException(RoundAbortedException.Reason.INVALID_SUM, null, e.getMessage());
        }
        double seconds = 0;
        for (ClientId id : sum.contributors()) {
            seconds += trainSeconds.getOrDefault(id.value(), 0.0);
        }
        return new Result(decoded, sum.contributors().stream().map(ClientId::value).toList(), sha,
                sum.contributors().isEmpty() ? 0 : seconds / sum.contributors().size());
    }

    /** The round's outcome: the decoded mean, who is in it, and the sum's fingerprint. */
    record Result(SecureVectorFormat.Aggregate aggregate, java.util.List<String> contributors, String sumSha256,
            double meanTrainSeconds) {}
}
