package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraLayouts.LlamaDims;
import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrainingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What the in-process federation tests share, over TLS or not: a coordinator whose rounds follow each
 * other quickly, agents that reconnect quickly, and a secure job on a tiny Llama-shaped LoRA adapter that
 * the agents "train" with a fast deterministic fake instead of DJL (no model is ever loaded, so the
 * model hash is a placeholder).
 */
final class TinyFederation {

    /** The base model every agent claims and every job names. */
    static final String MODEL_SHA = "ab".repeat(32);
    private static final LlamaDims DIMS = new LlamaDims(2, 16, 32, 2, 2, 8);

    private TinyFederation() {}

    /**
     * Heartbeats every 500 ms, and a round loop that looks at the clock every 10 ms and retries an
     * aborted round after 50 ms, so that a test does not wait on the defaults (5 s, 100 ms and 1 s).
     */
    static CoordinatorConfig.Builder quickRounds(CoordinatorConfig.Builder coordinator) {
        return coordinator.heartbeatInterval(Duration.ofMillis(500))
                .roundTiming(new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(50)));
    }

    /**
     * An agent of the coordinator on this loopback port, its state in {@code dir/agents/<name>}, with 20
     * examples (a test may set others) and a 50-200 ms backoff so that it reconnects within a round.
     */
    static AgentConfig.Builder agentConfig(int coordinatorPort, Path dir, String name) {
        return AgentConfig.builder("127.0.0.1:" + coordinatorPort, dir.resolve("agents/" + name), name, MODEL_SHA)
                .numExamples(20)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200));
    }

    /** Starts the agent and fails the test unless it is connected within 20 s. */
    static AgentNode startConnected(AgentConfig config, LocalTrainer trainer) throws Exception {
        AgentNode a = AgentNode.start(config, trainer);
        assertConnected(a, config);
        return a;
    }

    static void assertConnected(AgentNode agent, AgentConfig config) throws InterruptedException {
        assertTrue(agent.awaitConnected(Duration.ofSeconds(20)), config.nodeName() + " connected");
    }

    /**
     * A secure FedAvg job on the tiny adapter (rank 4 on q_proj and v_proj, frozen A), with a 20 s round
     * deadline and 5 s SecAgg stages; a test sets other values on the builder.
     */
    static JobConfig.Builder secureJob(String name, int rounds, int clientsPerRound, int minClients) {
        return JobConfig.newBuilder()
                .setName(name)
                .setBaseModelId("tiny")
                .setBaseModelSha256(MODEL_SHA)
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8).addTargetModules("q_proj")
                        .addTargetModules("v_proj").setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A)
                        .setASeed(3))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(1).setBatchSize(4).setLearningRate(1e-3)
                        .setMaxSeqLen(16).setSeed(5))
                .setRounds(rounds)
                .setClientsPerRound(clientsPerRound)
                .setMinClients(minClients)
                .setRoundDeadlineSeconds(20)
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(LoraLayouts.llama(DIMS, 4, List.of("q_proj", "v_proj")))
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.25).setCorruptFraction(0)
                        .setClipNorm(10).setMaxWeight(1000).setStageTimeoutSeconds(5));
    }

    /** A trainer that returns {@link #delta(TrainRequest)} for 20 examples at loss 0.5. */
    static LocalTrainer trainer() {
        return new LocalTrainer() {
            @Override
            public TrainOutcome train(TrainRequest req) {
                return new TrainOutcome(delta(req), 20, 0.5, 1, 0.01);
            }
        };
    }

    /** The same small update from every agent, a little larger each round. */
    static float[] delta(TrainRequest req) {
        float[] d = new float[req.startAdapter().values().length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (1e-3 * ((i % 11) - 5) + req.round() * 1e-4);
        }
        return d;
    }

    /**
     * An update of this agent's own: scaled by {@link #scale(String)}, with a ramp over the coordinates,
     * so that no two agents' updates and no two stretches of one are alike (tests look for them by content).
     */
    static float[] delta(TrainRequest req, String name) {
        float[] d = new float[req.startAdapter().values().length];
        int h = scale(name);
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (h * 1e-3 * ((i % 11) - 5) + req.round() * 1e-4 + (i + 1) * 1e-6);
        }
        return d;
    }

    /** 1 to 97, from the agent's name. */
    static int scale(String name) {
        return Math.floorMod(name.hashCode(), 97) + 1;
    }
}
