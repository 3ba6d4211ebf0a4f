package io.fedlora.client.demo;

import com.google.protobuf.ByteString;
import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.encoding.SecureVectorFormat;
import io.fedlora.crypto.privacy.DistributedDiscreteGaussianAccountant;
import io.fedlora.crypto.privacy.DistributedDpCalibration;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.proto.v1.CohortMember;
import io.fedlora.proto.v1.DistributedDpConfig;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.SecAggSetup;
import io.fedlora.rounds.SecureRoundSetup;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Client-level distributed DP for a cohort of N clients simulated in one process, through the code
 * the coordinator and the agents run. Per round:
 *
 * <ol>
 *   <li>setup as the coordinator makes it ({@link SecureRoundSetup#create(JobConfig, List, byte[])}:
 *       fresh graph seed, SecAgg+ k and t, calibrated noise), except that the noise is calibrated
 *       for all N clients (below);
 *   <li>every client takes the setup as an agent does ({@link SecureRoundSetup#format}: checks that
 *       the noise meets the job's ε over its rounds, derives the round's public rotation) and
 *       encodes its update with it ({@code DistributedDpFormat}: clip, randomized Hadamard rotation,
 *       scaling by 1/γ, conditional stochastic rounding, discrete Gaussian noise, mod 2^32);
 *   <li>the encoded vectors are summed word by word modulo 2^32 (Java int arithmetic wraps) and the
 *       sum is decoded as {@code SecureRound.finish} does ({@code format.decode(sum, contributors)}).
 * </ol>
 *
 * <p><b>Masking is left out.</b> SecAgg+ pairwise masks cancel in the sum and self masks are removed
 * at unmasking, so with no dropouts the unmasked sum the coordinator sees is exactly this modular
 * sum of the encoded vectors (the protocol itself is tested in {@code crypto/.../secagg}).
 *
 * <p><b>Noise clients.</b> The coordinator calibrates the noise for the fewest clients every
 * unmasked sum is guaranteed to hold ({@link SecureRoundSetup#noiseClients}): for a large cohort on
 * a sparse SecAgg+ graph that is the threshold t, well below N, because a client there cannot check
 * that the others survived. Here nobody drops out and every sum holds all N clients' noise, so the
 * noise is calibrated for N (what the coordinator does for a complete graph with
 * {@code min_clients} = N). {@link #coordinatorNoiseClients()} is what the coordinator would use.
 *
 * <p><b>Accounting</b> as the coordinator's {@code ClientDpBudget}: every decoded sum is charged to
 * {@link DistributedDiscreteGaussianAccountant} (no amplification by sampling: all N clients take
 * part in every round, the accountant claims none).
 */
public final class SimulatedDistributedDp {

    private final String jobId;
    private final JobConfig job;
    private final List<CohortMember> cohort;
    private final DistributedDpParameters parameters;
    private final int coordinatorNoiseClients;
    private final double delta;
    private final SecureRandom random;
    private DistributedDiscreteGaussianAccountant spent = DistributedDiscreteGaussianAccountant.create();

    /**
     * @param job a job with {@code secure_aggregation.distributed_dp} (target ε, δ, clip) and its
     *     adapter layout; its {@code rounds} is the number of rounds the noise is calibrated for
     * @param cohortSize N, every client of every round
     */
    public SimulatedDistributedDp(String jobId, JobConfig job, int cohortSize, SecureRandom random) {
        if (!job.getSecureAggregation().hasDistributedDp()) {
            throw new IllegalArgumentException("the job has no secure_aggregation.distributed_dp");
        }
        if (cohortSize < 3) {
            throw new IllegalArgumentException("secure aggregation needs at least 3 clients, got " + cohortSize);
        }
        this.jobId = jobId;
        this.job = job;
        this.random = random;
        List<CohortMember> members = new ArrayList<>(cohortSize);
        for (int i = 0; i < cohortSize; i++) {
            members.add(CohortMember.newBuilder().setNodeId("sim-" + (i + 1))
                    .setIdentityKey(ByteString.copyFrom(Ed25519PrivateKey.generate(random).publicKey().toBytes()))
                    .build());
        }
        this.cohort = List.copyOf(members);
        DistributedDpConfig dp = job.getSecureAggregation().getDistributedDp();
        this.delta = dp.getDelta();
        UpdateCoordinates coords = UpdateCoordinates.of(job.getAdapterLayout(), job.getLora().getAggregationMode());
        this.parameters = DistributedDpCalibration.calibrate(
                new DistributedDpCalibration.Target(dp.getTargetEpsilon(), dp.getDelta(), job.getRounds()),
                coords.count(), dp.getClipNorm(), cohortSize, cohortSize, DistributedDpParameters.MASKED_WORD_BITS);
        var secagg = SecureRoundSetup.parameters(cohortSize, job.getSecureAggregation().getDropoutFraction(),
                job.getSecureAggregation().getCorruptFraction());
        this.coordinatorNoiseClients = SecureRoundSetup.noiseClients(secagg, job.getMinClients());
    }

    /** Every round's parameters: per-client σ, granularity γ, Δ₂, noise calibrated for all N. */
    public DistributedDpParameters parameters() {
        return parameters;
    }

    /** The n the coordinator's own rule would calibrate a real cohort of N for (t on a sparse graph). */
    public int coordinatorNoiseClients() {
        return coordinatorNoiseClients;
    }

    public int cohortSize() {
        return cohort.size();
    }

    /** Rounds charged so far. */
    public int roundsSpent() {
        return spent.rounds();
    }

    /** ε spent so far, at the job's δ. */
    public double cumulativeEpsilon() {
        return spent.epsilon(delta);
    }

    /** A new round: the coordinator's setup with a fresh graph seed, and the format every agent derives from it. */
    public Round open(int round) {
        byte[] graphSeed = new byte[SecureRoundSetup.GRAPH_SEED_BYTES];
        random.nextBytes(graphSeed);
        SecAggSetup coordinator = SecureRoundSetup.create(job, cohort, graphSeed);
        SecAggSetup setup = coordinator.toBuilder().setDistributedDp(coordinator.getDistributedDp().toBuilder()
                .setNoiseClients(parameters.noiseClients())
                .setGranularity(parameters.granularity())
                .setClientNoiseStddev(parameters.clientNoiseStddev())).build();
        return new Round(round, SecureRoundSetup.format(jobId, round, setup, job.getAdapterLayout(),
                job.getLora().getAggregationMode()));
    }

    /** What one round cost: its own ε and the cumulative ε after it, at δ. */
    public record Charge(int round, double roundEpsilon, double cumulativeEpsilon, double delta) {}

    /** One round: clients contribute one after another, then the sum is decoded and charged. */
    public final class Round {
        private final int round;
        private final SecureVectorFormat format;
        private final int[] sum;
        private int contributors;
        private Charge charge;

        private Round(int round, SecureVectorFormat format) {
            this.round = round;
            this.format = format;
            this.sum = new int[format.vectorLength()];
        }

        /** The format the agents encode with this round (the coordinator decodes with the same). */
        public SecureVectorFormat format() {
            return format;
        }

        /** One client's update (a full flat adapter delta), encoded as an agent encodes it, added mod 2^32. */
        public void contribute(float[] update) {
            if (charge != null) {
                throw new IllegalStateException("round " + round + " is already decoded");
            }
            if (contributors == cohort.size()) {
                throw new IllegalStateException("all " + cohort.size() + " clients have contributed");
            }
            int[] words = format.encode(update, 1, Double.NaN, random);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += words[i];
            }
            contributors++;
        }

        public int contributors() {
            return contributors;
        }

        /**
         * The mean update as the coordinator decodes it from the unmasked sum; charges the round to the
         * accountant (the sum is revealed). Every client of the cohort must have contributed: the noise
         * is calibrated for all of them.
         */
        public float[] decode() {
            if (charge != null) {
                throw new IllegalStateException("round " + round + " is already decoded");
            }
            if (contributors != cohort.size()) {
                throw new IllegalStateException("the noise is calibrated for " + cohort.size() + " clients, "
                        + contributors + " contributed");
            }
            float[] mean = format.decode(sum.clone(), contributors).meanUpdate();
            double roundEpsilon = DistributedDiscreteGaussianAccountant.roundEpsilon(parameters.accounting(), delta);
            spent = spent.composeRounds(parameters.accounting(), 1);
            charge = new Charge(round, roundEpsilon, spent.epsilon(delta), delta);
            return mean;
        }

        /** The privacy this round's decoded sum cost; null before {@link #decode()}. */
        public Charge charge() {
            return charge;
        }
    }
}
