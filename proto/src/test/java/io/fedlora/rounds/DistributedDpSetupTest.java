package io.fedlora.rounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.InvalidParametersException;
import io.fedlora.crypto.encoding.SecureVectorFormat;
import io.fedlora.crypto.privacy.DistributedDpCalibration;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.crypto.secagg.RoundConfig;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.CohortMember;
import io.fedlora.proto.v1.DistributedDpConfig;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.SecAggSetup;
import io.fedlora.proto.v1.SecureAggregationConfig;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Client-level DP in the round setup: what the coordinator derives, and what a client refuses. */
class DistributedDpSetupTest {

    private static final LoraLayouts.LlamaDims DIMS = new LoraLayouts.LlamaDims(2, 16, 32, 2, 2, 8);

    private static JobConfig job(int rounds, int minClients) {
        return JobConfig.newBuilder()
                .setRounds(rounds)
                .setMinClients(minClients)
                .setClientsPerRound(4)
                .setLora(LoraConfig.newBuilder().setRank(4).setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A))
                .setAdapterLayout(LoraLayouts.llama(DIMS, 4, List.of("q_proj", "v_proj")))
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.25)
                        .setDistributedDp(DistributedDpConfig.newBuilder().setTargetEpsilon(8).setDelta(1e-5).setClipNorm(1)))
                .build();
    }

    private static List<CohortMember> cohort(int n) {
        List<CohortMember> members = new ArrayList<>();
        SecureRandom r = new SecureRandom();
        for (int i = 0; i < n; i++) {
            members.add(CohortMember.newBuilder().setNodeId("node-" + i)
                    .setIdentityKey(ByteString.copyFrom(Ed25519PrivateKey.generate(r).publicKey().toBytes())).build());
        }
        return members;
    }

    private static int coordinates(JobConfig job) {
        return UpdateCoordinates.of(job.getAdapterLayout(), job.getLora().getAggregationMode()).count();
    }

    @Test
    void theCoordinatorCalibratesAndTheClientAcceptsTheSameParameters() {
        JobConfig job = job(5, 3);
        SecAggSetup s = SecureRoundSetup.create(job, cohort(4), new byte[32]);
        var d = s.getDistributedDp();
        // Exact mode: only the B factors move: 2 layers x (16x4 + 16x4) of 512 values.
        assertEquals(256, coordinates(job));
        assertEquals(512, LoraLayouts.totalElements(job.getAdapterLayout()));
        assertEquals(256, d.getDimension());
        assertEquals(256, s.getVectorLength());
        assertEquals(3, d.getNoiseClients(), "complete graph, t = 2: calibrated for min_clients = 3");
        assertEquals(32, d.getBits());
        DistributedDpParameters p = SecureRoundSetup.distributedDp(s, 256);
        double eps = DistributedDpCalibration.epsilon(new DistributedDpCalibration.Target(8, 1e-5, 5), p);
        assertTrue(eps <= 8 && eps > 7.99, "epsilon " + eps);
        RoundConfig config = SecureRoundSetup.roundConfig("job", 1, s);
        assertEquals(3, config.minimumContributors(), "no sum of fewer than 3 is ever unmasked");
        SecureVectorFormat f = SecureRoundSetup.format("job", 1, s, job.getAdapterLayout(),
                job.getLora().getAggregationMode());
        assertEquals(256, f.vectorLength());
        assertEquals(LoraLayouts.totalElements(job.getAdapterLayout()), f.dimension());
        assertEquals(1, f.maxWeight());
    }

    @Test
    void encodeSumDecodeThroughTheSetupKeepsFrozenAUntouched() {
        JobConfig job = job(1, 3);
        SecAggSetup s = SecureRoundSetup.create(job, cohort(4), new byte[32]);
        SecureVectorFormat client = SecureRoundSetup.format("job", 1, s, job.getAdapterLayout(),
                AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A);
        SecureVectorFormat coordinator = SecureRoundSetup.format("job", 1, s, job.getAdapterLayout(),
                AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A);
        UpdateCoordinates coords = UpdateCoordinates.of(job.getAdapterLayout(), AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A);
        float[] update = coords.scatter(new float[coords.count()]);
        int[] sum = new int[client.vectorLength()];
        for (int c = 0; c < 3; c++) {
            int[] e = client.encode(update, 1, 0.3, new SecureRandom());
            for (int i = 0; i < sum.length; i++) {
                sum[i] += e[i];
            }
        }
        var a = coordinator.decode(sum, 3);
        assertEquals(3, a.totalWeight());
        assertTrue(Double.isNaN(a.meanLoss()));
        float[] mean = a.meanUpdate();
        float[] back = coords.scatter(coords.gather(mean));
        double noise = 0;
        for (int i = 0; i < mean.length; i++) {
            assertEquals(back[i], mean[i], 0.0, "coordinate " + i + " outside B stays exactly zero");
            noise += mean[i] * (double) mean[i];
        }
        assertTrue(noise > 0, "the B coordinates carry the calibrated noise");
    }

    @Test
    void clientsRefuseTamperedParameters() {
        JobConfig job = job(5, 3);
        SecAggSetup s = SecureRoundSetup.create(job, cohort(4), new byte[32]);
        var d = s.getDistributedDp();
        assertRefused(s, b -> b.setClientNoiseStddev(d.getClientNoiseStddev() * 0.99), "client_noise_stddev");
        assertRefused(s, b -> b.setClientNoiseStddev(0), "clientNoiseStddev must be finite and > 0");
        assertRefused(s, b -> b.setClientNoiseStddev(Double.NaN), "clientNoiseStddev");
        assertRefused(s, b -> b.setRounds(7), "client_noise_stddev"); // the noise was for 5 rounds
        assertRefused(s, b -> b.setTargetEpsilon(0), "target epsilon");
        assertRefused(s, b -> b.setDelta(2), "delta");
        // More sensitivity with the same noise: the headroom rule notices first, the epsilon check would next.
        assertRefused(s, b -> b.setClipNorm(d.getClipNorm() * 1.5), "too fine for 32-bit words");
        assertRefused(s, b -> b.setClipNorm(d.getClipNorm() * 1.5).setGranularity(d.getGranularity() * 1.5),
                "client_noise_stddev");
        // Less noise per client calibrated for all 4 is as private, because then no sum of fewer is unmasked.
        SecAggSetup allFour = s.toBuilder().setDistributedDp(d.toBuilder().setNoiseClients(4)
                .setClientNoiseStddev(d.getClientNoiseStddev() * Math.sqrt(3.0 / 4) * 1.0001)).build();
        SecureRoundSetup.distributedDp(allFour, 256);
        assertEquals(4, SecureRoundSetup.roundConfig("job", 1, allFour).minimumContributors());
        assertRefused(s, b -> b.setBits(16), "bits");
        assertRefused(s, b -> b.setDimension(100), "dimension");
        assertRefused(s, b -> b.setGranularity(d.getGranularity() / 100), "too fine for 32-bit words");
        // A cohort smaller than the noise was calibrated for.
        var small = assertThrows(InvalidParametersException.class, () -> SecureRoundSetup.distributedDp(
                s.toBuilder().removeCohort(3).removeCohort(2).build(), 256));
        assertTrue(small.getMessage().startsWith("secagg.cohort"), small.getMessage());
        var tooMany = assertThrows(InvalidParametersException.class, () -> SecureRoundSetup.roundConfig("job", 1,
                s.toBuilder().setDistributedDp(d.toBuilder().setNoiseClients(5)).build()));
        assertTrue(tooMany.getMessage().startsWith("secagg.distributed_dp.noise_clients"), tooMany.getMessage());
        var vector = assertThrows(InvalidParametersException.class, () -> SecureRoundSetup.format("job", 1,
                s.toBuilder().setVectorLength(512).build(), job.getAdapterLayout(), job.getLora().getAggregationMode()));
        assertTrue(vector.getMessage().startsWith("secagg.vector_length"), vector.getMessage());
    }

    /** The changed setup is refused with a message naming the field and containing {@code text}. */
    private static void assertRefused(SecAggSetup s, UnaryOperator<io.fedlora.proto.v1.DistributedDpSetup.Builder> change,
            String text) {
        SecAggSetup tampered = s.toBuilder().setDistributedDp(change.apply(s.getDistributedDp().toBuilder())).build();
        var e = assertThrows(InvalidParametersException.class, () -> SecureRoundSetup.distributedDp(tampered, 256));
        assertTrue(e.getMessage().startsWith("secagg.distributed_dp."), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void noiseIsCalibratedForTheSumsTheProtocolGuarantees() {
        // Small cohorts: a complete graph, where every client sees every survivor.
        var complete = SecureRoundSetup.parameters(4, 0.25, 0);
        assertEquals(3, SecureRoundSetup.noiseClients(complete, 3));
        assertEquals(4, SecureRoundSetup.noiseClients(complete, 4));
        assertEquals(2, SecureRoundSetup.noiseClients(complete, 1), "never below t");
        // Large cohorts: a sparse graph; only t is guaranteed.
        var sparse = SecureRoundSetup.parameters(1000, 0.1, 0.05);
        assertTrue(!sparse.completeGraph());
        assertEquals(sparse.threshold(), SecureRoundSetup.noiseClients(sparse, 900));
    }

    @Test
    void jobProblemsNameTheField() {
        assertProblem(d -> d.toBuilder().setTargetEpsilon(0).build(), "secure_aggregation.distributed_dp.target_epsilon");
        assertProblem(d -> d.toBuilder().setTargetEpsilon(-1).build(), "secure_aggregation.distributed_dp.target_epsilon");
        assertProblem(d -> d.toBuilder().setTargetEpsilon(Double.NaN).build(), "secure_aggregation.distributed_dp.target_epsilon");
        assertProblem(d -> d.toBuilder().setDelta(0).build(), "secure_aggregation.distributed_dp.delta");
        assertProblem(d -> d.toBuilder().setDelta(1).build(), "secure_aggregation.distributed_dp.delta");
        assertProblem(d -> d.toBuilder().setClipNorm(0).build(), "secure_aggregation.distributed_dp.clip_norm");
        assertProblem(d -> d.toBuilder().setClipNorm(Double.POSITIVE_INFINITY).build(),
                "secure_aggregation.distributed_dp.clip_norm");
        assertProblem(d -> d.toBuilder().setTargetEpsilon(1e13).build(), "the target protects nothing");
        assertProblem(d -> DistributedDpConfig.getDefaultInstance(), "secure_aggregation.distributed_dp.target_epsilon");
        assertTrue(SecureRoundSetup.problems(job(5, 3)).isEmpty(), SecureRoundSetup.problems(job(5, 3)).toString());
    }

    private static void assertProblem(UnaryOperator<DistributedDpConfig> change, String text) {
        JobConfig j = job(5, 3);
        JobConfig bad = j.toBuilder().setSecureAggregation(j.getSecureAggregation().toBuilder()
                .setDistributedDp(change.apply(j.getSecureAggregation().getDistributedDp()))).build();
        List<String> p = SecureRoundSetup.problems(bad);
        assertTrue(p.stream().anyMatch(m -> m.contains(text)), p.toString());
    }
}
