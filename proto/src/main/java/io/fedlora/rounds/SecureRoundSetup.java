package io.fedlora.rounds;

import com.google.protobuf.ByteString;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.InvalidParametersException;
import io.fedlora.crypto.KeyDerivation;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.encoding.DistributedDpFormat;
import io.fedlora.crypto.encoding.EncodingParameters;
import io.fedlora.crypto.encoding.SecureUpdateFormat;
import io.fedlora.crypto.encoding.SecureVectorFormat;
import io.fedlora.crypto.privacy.DistributedDpCalibration;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.crypto.privacy.InvalidPrivacyParameterException;
import io.fedlora.crypto.privacy.PrivacyCalibrationException;
import io.fedlora.crypto.secagg.ClientId;
import io.fedlora.crypto.secagg.RoundConfig;
import io.fedlora.crypto.secagg.RoundId;
import io.fedlora.crypto.secagg.SecAggParameters;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.CohortMember;
import io.fedlora.proto.v1.DistributedDpConfig;
import io.fedlora.proto.v1.DistributedDpSetup;
import io.fedlora.proto.v1.JobConfig;
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
 *
 * <p>With client-level distributed DP the same holds for the noise: the coordinator calibrates it
 * here ({@link DistributedDpCalibration}) and each client checks, here, that the parameters it
 * was sent meet the stated (ε, δ) over the stated rounds and that no sum with fewer clients than
 * the noise was calibrated for can be unmasked (see {@link #noiseClients}).
 */
public final class SecureRoundSetup {

    public static final int DEFAULT_STAGE_TIMEOUT_SECONDS = 30;
    /** The smallest cohort secure aggregation serves: with two, each client could subtract its own input from the sum. */
    public static final int MIN_COHORT = 3;
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

    /** HKDF purpose of the public per-round rotation seed of client-level DP. */
    static final String ROTATION_PURPOSE = "fedlora/v1/ddp-rotation";

    /**
     * Coordinator side: the setup of a round of {@code job} for {@code cohort} (ordered). With
     * distributed DP, the round's noise is calibrated here for the job's target and rounds.
     */
    public static SecAggSetup create(JobConfig job, List<CohortMember> cohort, byte[] graphSeed) {
        SecureAggregationConfig cfg = job.getSecureAggregation();
        if (!cfg.hasDistributedDp()) {
            return create(cfg, cohort, (int) LoraLayouts.totalElements(job.getAdapterLayout()), graphSeed);
        }
        SecAggParameters params = parameters(cohort.size(), cfg.getDropoutFraction(), cfg.getCorruptFraction());
        UpdateCoordinates coords = UpdateCoordinates.of(job.getAdapterLayout(), job.getLora().getAggregationMode());
        DistributedDpConfig dp = cfg.getDistributedDp();
        DistributedDpParameters p = DistributedDpCalibration.calibrate(
                new DistributedDpCalibration.Target(dp.getTargetEpsilon(), dp.getDelta(), job.getRounds()),
                coords.count(), dp.getClipNorm(), noiseClients(params, job.getMinClients()), cohort.size(),
                DistributedDpParameters.MASKED_WORD_BITS);
        return SecAggSetup.newBuilder()
                .addAllCohort(cohort)
                .setGraphSeed(ByteString.copyFrom(graphSeed))
                .setNeighbours(params.neighbours())
                .setThreshold(params.threshold())
                .setDropoutFraction(cfg.getDropoutFraction())
                .setCorruptFraction(cfg.getCorruptFraction())
                .setVectorLength(p.paddedDimension())
                .setDistributedDp(DistributedDpSetup.newBuilder()
                        .setTargetEpsilon(dp.getTargetEpsilon())
                        .setDelta(dp.getDelta())
                        .setRounds(job.getRounds())
                        .setClipNorm(p.clipNorm())
                        .setDimension(p.dimension())
                        .setNoiseClients(p.noiseClients())
                        .setGranularity(p.granularity())
                        .setClientNoiseStddev(p.clientNoiseStddev())
                        .setBits(p.bits()))
                .build();
    }

    /**
     * Words per masked vector of {@code job}: the parameters, the weight and the weighted loss; with
     * distributed DP the rotation's padded size of the coordinates that move.
     */
    public static int vectorLength(JobConfig job) {
        if (job.getSecureAggregation().hasDistributedDp()) {
            UpdateCoordinates coords = UpdateCoordinates.of(job.getAdapterLayout(), job.getLora().getAggregationMode());
            return io.fedlora.crypto.encoding.RandomizedHadamard.paddedDimension(coords.count());
        }
        return Math.toIntExact(SecureUpdateFormat.vectorLength(LoraLayouts.totalElements(job.getAdapterLayout())));
    }

    /**
     * The number of clients whose noise every unmasked sum is guaranteed to hold: the n the noise
     * is calibrated for. Not the cohort size, nor the cohort minus the tolerated dropouts: rounds
     * complete with fewer survivors than those. Complete graph (small cohorts): max(t, min_clients),
     * because the coordinator aborts below min_clients and, independently, every client refuses to
     * reveal its unmasking shares when it sees fewer survivors than this ({@link
     * io.fedlora.crypto.secagg.RoundConfig#minimumContributors()}). Sparse graph: t, the most a
     * client can check when it sees only its own neighbours (conservative: the real sums are larger).
     */
    public static int noiseClients(SecAggParameters p, int minClients) {
        return p.completeGraph() ? Math.min(p.cohortSize(), Math.max(p.threshold(), minClients)) : p.threshold();
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
        int minimum = 0;
        if (s.hasDistributedDp()) {
            minimum = s.getDistributedDp().getNoiseClients();
            int allowed = expected.completeGraph() ? ids.size() : expected.threshold();
            if (minimum < 1 || minimum > allowed) {
                throw new InvalidParametersException(String.format("secagg.distributed_dp.noise_clients: the noise is"
                        + " calibrated for sums of %d clients, but this cohort of %d (%s graph, t=%d) can only"
                        + " guarantee 1..%d", minimum, ids.size(), expected.completeGraph() ? "complete" : "sparse",
                        expected.threshold(), allowed));
            }
        }
        return RoundConfig.builder()
                .roundId(new RoundId(jobId, round))
                .cohort(ids)
                .identities(keys)
                .graphSeed(Bytes.copyOf(s.getGraphSeed().toByteArray()))
                .parameters(expected)
                .vectorLength(s.getVectorLength())
                .minimumContributors(minimum)
                .build();
    }

    /**
     * Both sides: the round's encoding of a flat update of {@code layout}: the weighted format, or
     * with distributed DP the noised one over the coordinates that move, checked by
     * {@link #distributedDp}.
     */
    public static SecureVectorFormat format(String jobId, int round, SecAggSetup s, AdapterLayout layout,
            AggregationMode mode) {
        if (!s.hasDistributedDp()) {
            return format(s, (int) LoraLayouts.totalElements(layout));
        }
        UpdateCoordinates coords = UpdateCoordinates.of(layout, mode);
        DistributedDpParameters p = distributedDp(s, coords.count());
        if (s.getVectorLength() != p.paddedDimension()) {
            throw new InvalidParametersException("secagg.vector_length: client-level DP vectors have "
                    + p.paddedDimension() + " words, got " + s.getVectorLength());
        }
        return new SelectedCoordinatesFormat(new DistributedDpFormat(p, rotationSeed(jobId, round, s)), coords);
    }

    /**
     * Both sides: the round's client-level DP parameters, refused (naming the field) unless they
     * meet the stated target: ε of {@code rounds} rounds of these very parameters, composed, must not
     * exceed target_epsilon at delta. Weaker noise, a coarser rounding bound, a cohort below
     * noise_clients or words that would wrap all fail here.
     */
    public static DistributedDpParameters distributedDp(SecAggSetup s, int coordinates) {
        DistributedDpSetup d = s.getDistributedDp();
        String f = "secagg.distributed_dp.";
        if (d.getBits() != DistributedDpParameters.MASKED_WORD_BITS) {
            throw new InvalidParametersException(f + "bits: masked words are "
                    + DistributedDpParameters.MASKED_WORD_BITS + " bits, got " + d.getBits());
        }
        if (d.getDimension() != coordinates) {
            throw new InvalidParametersException(f + "dimension: the update has " + coordinates
                    + " coordinates that move, got " + d.getDimension());
        }
        if (s.getCohortCount() < d.getNoiseClients()) {
            throw new InvalidParametersException("secagg.cohort: " + s.getCohortCount() + " clients, fewer than the "
                    + d.getNoiseClients() + " the noise was calibrated for");
        }
        DistributedDpCalibration.Target target;
        DistributedDpParameters p;
        try {
            target = new DistributedDpCalibration.Target(d.getTargetEpsilon(), d.getDelta(), d.getRounds());
            p = new DistributedDpParameters(d.getDimension(), d.getClipNorm(), d.getGranularity(),
                    d.getClientNoiseStddev(), d.getNoiseClients(), s.getCohortCount(), d.getBits());
        } catch (InvalidPrivacyParameterException e) {
            throw new InvalidParametersException(f + e.getMessage());
        }
        double epsilon = DistributedDpCalibration.epsilon(target, p);
        // The coordinator's calibration meets the target exactly; allow only float noise above it.
        if (!(epsilon <= target.epsilon() * (1 + 1e-9))) {
            throw new InvalidParametersException(String.format("%sclient_noise_stddev: sigma %.6g with granularity"
                    + " %.6g for %d clients gives epsilon %.4f over %d rounds, above the stated target %.4f (delta %.1e):"
                    + " weaker than the job states", f, p.clientNoiseStddev(), p.granularity(), p.noiseClients(),
                    epsilon, target.rounds(), target.epsilon(), target.delta()));
        }
        return p;
    }

    /**
     * The rotation's seed: public (the coordinator must invert the rotation), fresh per round and
     * fixed by the graph seed, job and round, so neither side chooses it alone after the fact.
     */
    static Bytes rotationSeed(String jobId, int round, SecAggSetup s) {
        SecretBytes ikm = SecretBytes.copyOf(s.getGraphSeed().toByteArray());
        SecretBytes key = KeyDerivation.forRound(jobId, round).deriveKey(ikm, ROTATION_PURPOSE, "", "");
        byte[] b = key.toByteArray();
        key.destroy();
        return Bytes.copyOf(b);
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
                if (!c.hasDistributedDp()) {
                    // Client-level DP picks its granularity so that any cohort fits (DistributedDpParameters).
                    SecureUpdateFormat.finest((int) dimension, c.getClipNorm(), n, c.getMaxWeight());
                }
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
        if (c.hasDistributedDp()) {
            distributedDpProblems(c.getDistributedDp(), p);
        } else {
            if (!(c.getClipNorm() > 0) || Double.isInfinite(c.getClipNorm())) {
                p.add(f + "clip_norm: must be positive and finite, got " + c.getClipNorm());
            }
            if (c.getMaxWeight() < 1) {
                p.add(f + "max_weight: must be >= 1, got " + c.getMaxWeight());
            }
        }
        if (c.getStageTimeoutSeconds() < 0) {
            p.add(f + "stage_timeout_seconds: must be >= 0, got " + c.getStageTimeoutSeconds());
        }
        if (minClients < MIN_COHORT) {
            p.add("min_clients: secure aggregation needs cohorts of at least " + MIN_COHORT + ", got " + minClients);
        }
        if (!p.isEmpty() || dimension < 1 || dimension > EncodingParameters.MAX_DIMENSION) {
            return p;
        }
        int lowest = Math.max(MIN_COHORT, minClients);
        try {
            // The smallest cohort leaves the encoding the most room: if even it does not fit, say why.
            // (Client-level DP chooses its own granularity and does not use clip_norm or max_weight.)
            if (!c.hasDistributedDp()) {
                SecureUpdateFormat.finest((int) dimension, c.getClipNorm(), lowest, c.getMaxWeight());
            }
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

    /** DP on means real noise: a missing, zero, negative or NaN parameter is an error, never "no noise". */
    private static void distributedDpProblems(DistributedDpConfig d, List<String> p) {
        String f = "secure_aggregation.distributed_dp.";
        if (!(d.getTargetEpsilon() > 0) || Double.isInfinite(d.getTargetEpsilon())) {
            p.add(f + "target_epsilon: must be a finite number > 0, got " + d.getTargetEpsilon());
        }
        if (!(d.getDelta() > 0 && d.getDelta() < 1)) {
            p.add(f + "delta: must be in (0, 1), got " + d.getDelta());
        }
        if (!(d.getClipNorm() > 0) || Double.isInfinite(d.getClipNorm())) {
            p.add(f + "clip_norm: must be a finite number > 0, got " + d.getClipNorm());
        }
    }

    /**
     * Problems with a job's secure aggregation, its client-level DP included: the fields, then
     * whether the noise can be calibrated for the job's rounds at all (on the largest cohort).
     */
    public static List<String> problems(JobConfig job) {
        long dimension;
        try {
            dimension = LoraLayouts.totalElements(job.getAdapterLayout());
        } catch (ArithmeticException | IllegalArgumentException e) {
            dimension = -1;
        }
        SecureAggregationConfig c = job.getSecureAggregation();
        List<String> p = problems(c, job.getMinClients(), job.getClientsPerRound(), dimension);
        if (!p.isEmpty() || !c.hasDistributedDp() || job.getRounds() < 1 || dimension < 1
                || dimension > EncodingParameters.MAX_DIMENSION) {
            return p;
        }
        int n = largestFeasibleCohort(c, dimension, job.getClientsPerRound());
        try {
            UpdateCoordinates coords = UpdateCoordinates.of(job.getAdapterLayout(), job.getLora().getAggregationMode());
            DistributedDpConfig dp = c.getDistributedDp();
            DistributedDpCalibration.calibrate(
                    new DistributedDpCalibration.Target(dp.getTargetEpsilon(), dp.getDelta(), job.getRounds()),
                    coords.count(), dp.getClipNorm(), noiseClients(parameters(n, c.getDropoutFraction(),
                            c.getCorruptFraction()), job.getMinClients()), n, DistributedDpParameters.MASKED_WORD_BITS);
        } catch (InvalidPrivacyParameterException | PrivacyCalibrationException | InvalidParametersException e) {
            p.add("secure_aggregation.distributed_dp: " + e.getMessage());
        }
        return p;
    }
}
