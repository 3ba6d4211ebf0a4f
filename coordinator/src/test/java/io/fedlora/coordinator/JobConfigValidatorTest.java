package io.fedlora.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobConfigValidatorTest {

    @Test
    void validConfigHasNoProblems() {
        assertEquals(List.of(), JobConfigValidator.problems(Fixtures.config(2, 3, 2, 10), true));
    }

    @Test
    void reportsEveryProblemWithItsField() {
        JobConfig.Builder b = Fixtures.config(2, 3, 2, 10).toBuilder()
                .setRounds(0).setMinClients(3).setClientsPerRound(2).setRoundDeadlineSeconds(0)
                .setBaseModelSha256("XYZ");
        b.getLoraBuilder().setRank(0);
        b.getTrainingBuilder().setLearningRate(Double.NaN);
        List<String> p = JobConfigValidator.problems(b.build(), true);
        String all = String.join("\n", p);
        for (String field : List.of("rounds:", "clients_per_round:", "round_deadline_seconds:", "base_model_sha256:",
                "lora.rank:", "training.learning_rate:")) {
            assertTrue(all.contains(field), () -> "missing " + field + " in\n" + all);
        }
    }

    @Test
    void dpOnMeansRealNoise() {
        JobConfig.Builder ok = Fixtures.config(2, 3, 2, 10).toBuilder();
        ok.getTrainingBuilder().getDpBuilder().setNoiseMultiplier(1.1).setClipNorm(1).setSamplingRate(0.05).setDelta(1e-5);
        assertEquals(List.of(), JobConfigValidator.problems(ok.build(), true));

        JobConfig.Builder b = Fixtures.config(2, 3, 2, 10).toBuilder();
        b.getTrainingBuilder().getDpBuilder().setNoiseMultiplier(Double.NaN).setClipNorm(0).setSamplingRate(1.5);
        String all = String.join("\n", JobConfigValidator.problems(b.build(), true));
        for (String field : List.of("training.dp.noise_multiplier:", "training.dp.clip_norm:",
                "training.dp.sampling_rate:", "training.dp.delta:")) {
            assertTrue(all.contains(field), () -> "missing " + field + " in\n" + all);
        }
    }

    @Test
    void withoutTheDevelopmentFlagSecureAggregationIsRequired() {
        String all = String.join("\n", JobConfigValidator.problems(Fixtures.config(2, 3, 2, 10)));
        assertTrue(all.contains("secure_aggregation: required"), all);
        assertEquals(List.of(), JobConfigValidator.problems(Fixtures.secureConfig(2, 4, 3, 10)));
    }

    @Test
    void secureAggregationSettingsAreChecked() {
        JobConfig.Builder b = Fixtures.secureConfig(2, 4, 3, 10).toBuilder();
        b.getSecureAggregationBuilder().setDropoutFraction(1.5).setCorruptFraction(-1).setClipNorm(0).setMaxWeight(0)
                .setStageTimeoutSeconds(-1);
        String all = String.join("\n", JobConfigValidator.problems(b.build()));
        for (String field : List.of("secure_aggregation.dropout_fraction:", "secure_aggregation.corrupt_fraction:",
                "secure_aggregation.clip_norm:", "secure_aggregation.max_weight:",
                "secure_aggregation.stage_timeout_seconds:")) {
            assertTrue(all.contains(field), () -> "missing " + field + " in\n" + all);
        }
        // 3 clients cannot lose one and keep a threshold above half their neighbours.
        JobConfig.Builder tooSmall = Fixtures.secureConfig(2, 3, 3, 10).toBuilder();
        tooSmall.getSecureAggregationBuilder().setDropoutFraction(0.3);
        String small = String.join("\n", JobConfigValidator.problems(tooSmall.build()));
        assertTrue(small.contains("no cohort of 3..3 clients can tolerate dropout_fraction 0.3"), small);
        // Found by fuzzing: a clip norm so large that a made-up sum decodes to infinite float32 values.
        JobConfig.Builder hugeClip = Fixtures.secureConfig(2, 4, 3, 10).toBuilder();
        hugeClip.getSecureAggregationBuilder().setClipNorm(1e36);
        String huge = String.join("\n", JobConfigValidator.problems(hugeClip.build()));
        assertTrue(huge.contains("secure_aggregation.clip_norm, max_weight: no encoding for 3 clients"), huge);
        JobConfig.Builder tooFew = Fixtures.secureConfig(2, 4, 2, 10).toBuilder();
        assertTrue(String.join("\n", JobConfigValidator.problems(tooFew.build())).contains("min_clients: secure"));
    }

    @Test
    void clientLevelDpOnMeansRealNoise() {
        JobConfig.Builder ok = Fixtures.secureConfig(5, 4, 3, 10).toBuilder();
        ok.getSecureAggregationBuilder().clearClipNorm().clearMaxWeight().getDistributedDpBuilder()
                .setTargetEpsilon(8).setDelta(1e-5).setClipNorm(1);
        assertEquals(List.of(), JobConfigValidator.problems(ok.build()), "clip_norm and max_weight are unused under it");

        JobConfig.Builder empty = ok.clone();
        empty.getSecureAggregationBuilder().getDistributedDpBuilder().clear();
        String all = String.join("\n", JobConfigValidator.problems(empty.build()));
        for (String field : List.of("secure_aggregation.distributed_dp.target_epsilon: must be a finite number > 0, got 0.0",
                "secure_aggregation.distributed_dp.delta: must be in (0, 1), got 0.0",
                "secure_aggregation.distributed_dp.clip_norm: must be a finite number > 0, got 0.0")) {
            assertTrue(all.contains(field), all);
        }
        for (double eps : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
            JobConfig.Builder b = ok.clone();
            b.getSecureAggregationBuilder().getDistributedDpBuilder().setTargetEpsilon(eps);
            assertTrue(String.join("\n", JobConfigValidator.problems(b.build()))
                    .contains("secure_aggregation.distributed_dp.target_epsilon: must be a finite number > 0, got " + eps));
        }
        for (double delta : new double[] {1, 1.5, -1e-5, Double.NaN}) {
            JobConfig.Builder b = ok.clone();
            b.getSecureAggregationBuilder().getDistributedDpBuilder().setDelta(delta);
            assertTrue(String.join("\n", JobConfigValidator.problems(b.build()))
                    .contains("secure_aggregation.distributed_dp.delta: must be in (0, 1), got " + delta));
        }
        for (double clip : new double[] {0, -2, Double.NaN}) {
            JobConfig.Builder b = ok.clone();
            b.getSecureAggregationBuilder().getDistributedDpBuilder().setClipNorm(clip);
            assertTrue(String.join("\n", JobConfigValidator.problems(b.build()))
                    .contains("secure_aggregation.distributed_dp.clip_norm: must be a finite number > 0, got " + clip));
        }
    }

    @Test
    void checksLayoutShapesAgainstRank() {
        AdapterLayout bad = AdapterLayout.newBuilder()
                .addTensors(TensorSpec.newBuilder().setName("x.lora_A.weight").addShape(3).addShape(16))
                .addTensors(TensorSpec.newBuilder().setName("x.lora_A.weight").addShape(4).addShape(16))
                .addTensors(TensorSpec.newBuilder().setName("y.lora_B.weight").addShape(16))
                .build();
        String all = String.join("\n", JobConfigValidator.problems(Fixtures.config(bad, 1, 1, 1, 10), true));
        assertTrue(all.contains("adapter_layout.tensors[0].shape: lora_A rows"), all);
        assertTrue(all.contains("adapter_layout.tensors[1].name: duplicate"), all);
        assertTrue(all.contains("adapter_layout.tensors[2].shape"), all);
        // Found while writing the admin fuzz test: sizes whose sum wraps past Long.MAX_VALUE passed
        // validation, and creating the job failed with INTERNAL.
        AdapterLayout wraps = Fixtures.smallLayout().toBuilder()
                .addTensors(TensorSpec.newBuilder().setName("x.lora_B.weight").addShape(1L << 60).addShape(4))
                .addTensors(TensorSpec.newBuilder().setName("y.lora_B.weight").addShape(1L << 60).addShape(4))
                .build();
        String wrapped = String.join("\n", JobConfigValidator.problems(Fixtures.config(wraps, 1, 1, 1, 10), true));
        assertTrue(wrapped.contains("elements exceed the supported maximum"), wrapped);
        String empty = String.join("\n", JobConfigValidator.problems(
                Fixtures.config(AdapterLayout.getDefaultInstance(), 1, 1, 1, 10), true));
        assertTrue(empty.contains("adapter_layout.tensors: must not be empty"), empty);
    }
}
