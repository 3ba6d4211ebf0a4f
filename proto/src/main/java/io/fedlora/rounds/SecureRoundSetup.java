package io.fedlora.rounds;

import com.google.protobuf.ByteString;
import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.InvalidParametersException;
import io.fedlora.crypto.encoding.EncodingParameters;
import io.fedlora.crypto.encoding.SecureUpdateFormat;
import io.fedlora.crypto.secagg.ClientId;
import io.fedlora.crypto.secagg.RoundConfig;
import io.fedlora.crypto.secagg.RoundId;
import io.fedlora.crypto.secagg.SecAggParameters;
import io.fedlora.proto.v1.CohortMember;
import io.fedlora.proto.v1.SecAggSetup;
import io.fedlora.proto.v1.SecureAggregationConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one translation between a round's {@link SecAggSetup} (what travels in a TrainTask) and the
 * crypto library's {@link RoundConfig} and {@link SecureUpdateFormat}. The coordinator creates the
 * setup; each client rebuilds the same objects from it and so checks it: k and t are recomputed
 * from the cohort size and the tolerated fractions, and the encoding's overflow headroom is
 * re-proved, so a coordinator cannot hand a client weaker parameters than the job states.
 */
public final class SecureRoundSetup {

    public static final int DEFAULT_STAGE_TIMEOUT_SECONDS = 30;
    public static final int GRAPH_SEED_BYTES = 32;

    private SecureRoundSetup() {}

    /** Coordinator side: the setup for {@code cohort} (ordered), for an update of {@code dimension} floats. */
    public static SecAggSetup create(SecureAggregationConfig cfg, List<CohortMember> cohort, int dimension,
            byte[] graphSeed) {
        SecAggParameters params = parameters(cohort.size(), cfg.getDropoutFraction(), cfg.getCorruptFraction());
        SecureUpdateFormat format =
                SecureUpdateFormat.finest(dimension, cfg.getClipNorm(), cohort.size(), cfg.getMaxWeight());
        return SecAggSetup.newBuilder()
                .addAllCohort(cohort)
                .setGraphSeed(ByteString.copyFrom(graphSeed))
                .setNeighbours(params.neighbours())
                .setThreshold(params.threshold())
                .setDropoutFraction(cfg.getDropoutFraction())
                .setCorruptFraction(cfg.getCorruptFraction())
                .setClipNorm(cfg.getClipNorm())
                .setScale(format.parameters().scale())
                .setMaxWeight(cfg.getMaxWeight())
                .setLossScale(format.lossScale())
                .setVectorLength(format.vectorLength())
                .build();
    }

    /** k and t for a cohort, from the SecAgg+ formula (see {@link SecAggParameters}). */
    public static SecAggParameters parameters(int cohortSize, double dropoutFraction, double corruptFraction) {
        return SecAggParameters.builder().cohortSize(cohortSize).dropoutFraction(dropoutFraction)
                .corruptFraction(corruptFraction).build();
    }

    /**
     * Both sides: the crypto round config. Checks the setup and throws
     * {@link InvalidParametersException} naming the field when it does not hold together.
     */
    public static RoundConfig roundConfig(String jobId, int round, SecAggSetup s) {
        List<ClientId> ids = new ArrayList<>();
        Map<ClientId, Ed25519PublicKey> keys = new LinkedHashMap<>();
        for (int i = 0; i < s.getCohortCount(); i++) {
            CohortMember m = s.getCohort(i);
            ClientId id;
            try {
                id = ClientId.of(m.getNodeId());
            } catch (IllegalArgumentException e) {
                throw new InvalidParametersException("secagg.cohort[" + i + "].node_id: " + e.getMessage());
            }
            if (m.getIdentityKey().size() != Ed25519PublicKey.SIZE) {
                throw new InvalidParametersException("secagg.cohort[" + i + "].identity_key: must be "
                        + Ed25519PublicKey.SIZE + " bytes, got " + m.getIdentityKey().size());
            }
            ids.add(id);
            keys.put(id, Ed25519PublicKey.fromBytes(m.getIdentityKey().toByteArray()));
        }
        SecAggParameters expected;
        try {
            expected = parameters(ids.size(), s.getDropoutFraction(), s.getCorruptFraction());
        } catch (InvalidParametersException e) {
            throw new InvalidParametersException("secagg: " + e.getMessage());
        }
        if (expected.neighbours() != s.getNeighbours() || expected.threshold() != s.getThreshold()) {
            throw new InvalidParametersException(String.format(
                    "secagg.neighbours/threshold: k=%d, t=%d do not follow from %d clients, dropout %.3f and corrupt"
                            + " fraction %.3f (expected k=%d, t=%d)", s.getNeighbours(), s.getThreshold(), ids.size(),
                    s.getDropoutFraction(), s.getCorruptFraction(), expected.neighbours(), expected.threshold()));
        }
        if (s.getGraphSeed().size() != GRAPH_SEED_BYTES) {
            throw new InvalidParametersException("secagg.graph_seed: must be " + GRAPH_SEED_BYTES + " bytes");
        }
        return RoundConfig.builder()
                .roundId(new RoundId(jobId, round))
                .cohort(ids)
                .identities(keys)
                .graphSeed(Bytes.copyOf(s.getGraphSeed().toByteArray()))
                .parameters(expected)
                .vectorLength(s.getVectorLength())
                .build();
    }

    /** Both sides: the encoding, checked for overflow and for a vector length matching {@code dimension}. */
    public static SecureUpdateFormat format(SecAggSetup s, int dimension) {
        SecureUpdateFormat f = new SecureUpdateFormat(new EncodingParameters(dimension, s.getClipNorm(), s.getScale(),
                s.getCohortCount(), s.getMaxWeight()), s.getLossScale());
        if (f.vectorLength() != s.getVectorLength()) {
            throw new InvalidParametersException("secagg.vector_length: the adapter has " + dimension
                    + " values, so vectors have " + f.vectorLength() + " words, got " + s.getVectorLength());
        }
        return f;
    }

    /**
     * The largest cohort of at most {@code upTo} clients for which k and t exist and the encoding
     * fits; 0 when there is none. Feasibility is not monotone in n (⌈δn⌉ jumps), so the round loop
     * asks this rather than assuming a bigger cohort works whenever a smaller one does.
     */
    public static int largestFeasibleCohort(SecureAggregationConfig c, long dimension, int upTo) {
        for (int n = upTo; n >= 3; n--) {
            try {
                parameters(n, c.getDropoutFraction(), c.getCorruptFraction());
                SecureUpdateFormat.finest((int) dimension, c.getClipNorm(), n, c.getMaxWeight());
                return n;
            } catch (InvalidParametersException e) {
                // try a smaller cohort
            }
        }
        return 0;
    }

    /** Problems with a job's secure-aggregation settings for cohorts of minClients..clientsPerRound. */
    public static List<String> problems(SecureAggregationConfig c, int minClients, int clientsPerRound,
            long dimension) {
        List<String> p = new ArrayList<>();
        String f = "secure_aggregation.";
        if (!(c.getDropoutFraction() >= 0 && c.getDropoutFraction() < 1)) {
            p.add(f + "dropout_fraction: must be in [0, 1), got " + c.getDropoutFraction());
        }
        if (!(c.getCorruptFraction() >= 0 && c.getCorruptFraction() < 1)) {
            p.add(f + "corrupt_fraction: must be in [0, 1), got " + c.getCorruptFraction());
        }
        if (!(c.getClipNorm() > 0) || Double.isInfinite(c.getClipNorm())) {
            p.add(f + "clip_norm: must be positive and finite, got " + c.getClipNorm());
        }
        if (c.getMaxWeight() < 1) {
            p.add(f + "max_weight: must be >= 1, got " + c.getMaxWeight());
        }
        if (c.getStageTimeoutSeconds() < 0) {
            p.add(f + "stage_timeout_seconds: must be >= 0, got " + c.getStageTimeoutSeconds());
        }
        if (minClients < 3) {
            p.add("min_clients: secure aggregation needs cohorts of at least 3, got " + minClients);
        }
        if (!p.isEmpty() || dimension < 1 || dimension > EncodingParameters.MAX_DIMENSION) {
            return p;
        }
        int lowest = Math.max(3, minClients);
        try {
            // The smallest cohort leaves the encoding the most room: if even it does not fit, say why.
            SecureUpdateFormat.finest((int) dimension, c.getClipNorm(), lowest, c.getMaxWeight());
        } catch (InvalidParametersException e) {
            p.add("secure_aggregation.clip_norm, max_weight: no encoding for " + lowest + " clients: " + e.getMessage());
            return p;
        }
        int n = largestFeasibleCohort(c, dimension, clientsPerRound);
        if (n < lowest) {
            p.add(String.format("secure_aggregation: no cohort of %d..%d clients can tolerate dropout_fraction %s and"
                    + " corrupt_fraction %s with SecAgg+ (raise clients_per_round or lower the fractions)", lowest,
                    clientsPerRound, c.getDropoutFraction(), c.getCorruptFraction()));
        }
        return p;
    }
}
