package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraLayouts.LlamaDims;
import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.RevokeRequest;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrainingConfig;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real agents against a real coordinator over mutual TLS on 127.0.0.1, in one JVM (a fast fake
 * trainer instead of DJL): each agent enrols with its own one-time token, its certificate carries its
 * node id and SecAgg identity key, secure rounds run, a restarted agent comes back with its stored
 * certificate, and a revoked agent is dropped and never selected again.
 */
@Timeout(180)
class MutualTlsFederationTest {

    private static final String MODEL_SHA = "ab".repeat(32);
    private static final LlamaDims DIMS = new LlamaDims(2, 16, 32, 2, 2, 8);

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private ManagedChannel admin;
    private final Map<String, AgentNode> agents = new HashMap<>();

    @AfterEach
    void stop() {
        agents.values().forEach(AgentNode::close);
        if (admin != null) {
            CoordinatorAddress.closeQuietly(admin);
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void enrolledAgentsRunSecureRoundsAndARevokedOneIsLeftOut() throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir.resolve("coordinator")).host("127.0.0.1").port(0)
                .heartbeatInterval(Duration.ofMillis(500))
                .roundTiming(new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(50))).build());
        admin = CoordinatorAddress.open("127.0.0.1:" + server.port(), server.adminCredentialsDir().orElseThrow());
        for (int i = 0; i < 5; i++) {
            start("hospital-" + i, true);
        }
        for (AgentNode a : agents.values()) {
            assertFalse(a.nodeId().isEmpty());
        }

        // Each node's certificate names its node id and the identity key it registered with.
        Path state = dir.resolve("agents/hospital-0");
        TlsCredentials creds = TlsCredentials.load(state.resolve("tls"));
        PeerIdentity id = PeerIdentity.of(creds.certificate());
        assertEquals(agents.get("hospital-0").nodeId(), id.subjectId());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                state.resolve("tls/client.key"))));
        assertEquals(agents.get("hospital-0").nodeId(), Files.readString(state.resolve("node-id")).trim());

        String job = server.jobs().create(secureJob(5)).jobId();
        server.startJob(job);
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job, Duration.ofSeconds(60)).getState());
        RoundSummary first = server.jobs().rounds(job).get(0);
        assertTrue(first.getSecureAggregation());
        assertTrue(first.getContributingNodesCount() >= 4, first.toString());
        assertEquals(first.getSelectedNodesCount(), first.getContributingNodesCount());

        // A restart reuses the stored certificate: same node id, no token needed (the old one is spent).
        String before = agents.get("hospital-1").nodeId();
        agents.remove("hospital-1").close();
        start("hospital-1", false);
        assertEquals(before, agents.get("hospital-1").nodeId());

        // Revoked: dropped now, refused afterwards, left out of the next round.
        String revoked = agents.get("hospital-2").nodeId();
        var r = TrustAdminServiceGrpc.newBlockingStub(admin).revoke(RevokeRequest.newBuilder().setSubjectId(revoked)
                .setReason("test").build());
        assertTrue(r.getWasConnected());
        String job2 = server.jobs().create(secureJob(5)).jobId();
        server.startJob(job2);
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job2, Duration.ofSeconds(60)).getState());
        RoundSummary round = server.jobs().rounds(job2).get(0);
        assertEquals(4, round.getContributingNodesCount());
        assertFalse(round.getSelectedNodesList().contains(revoked));
        assertFalse(agents.get("hospital-2").isConnected());
        assertTrue(AdminServiceGrpc.newBlockingStub(admin).listNodes(ListNodesRequest.getDefaultInstance())
                .getNodesList().stream().noneMatch(n -> n.getNodeId().equals(revoked) && n.getConnected()));
    }

    @Test
    void anAgentWithoutCertificateOrTokenDoesNotStart() throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir.resolve("coordinator")).host("127.0.0.1").port(0)
                .build());
        admin = CoordinatorAddress.open("127.0.0.1:" + server.port(), server.adminCredentialsDir().orElseThrow());
        AgentConfig config = AgentConfig.builder("127.0.0.1:" + server.port(), dir.resolve("agents/x"), "x", MODEL_SHA)
                .build();
        IOException e = assertThrows(IOException.class, () -> AgentNode.start(config, trainer()));
        assertTrue(e.getMessage().contains("not enrolled"), e.getMessage());

        AgentConfig wrongName = AgentConfig.builder("127.0.0.1:" + server.port(), dir.resolve("agents/y"), "y", MODEL_SHA)
                .enrollWith(EnrollmentToken.of(token("someone-else")), server.caCertificateFile().orElseThrow()).build();
        IOException refused = assertThrows(IOException.class, () -> AgentNode.start(wrongName, trainer()));
        assertTrue(refused.getMessage().contains("PERMISSION_DENIED"), refused.getMessage());
        assertFalse(Files.exists(dir.resolve("agents/y/tls/client.crt")));
    }

    private void start(String name, boolean enroll) throws Exception {
        AgentConfig.Builder b = AgentConfig.builder("127.0.0.1:" + server.port(), dir.resolve("agents/" + name), name,
                        MODEL_SHA)
                .numExamples(20 + name.hashCode() % 7)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200));
        if (enroll) {
            b.enrollWith(EnrollmentToken.of(token(name)), server.caCertificateFile().orElseThrow());
        }
        AgentNode a = AgentNode.start(b.build(), trainer());
        agents.put(name, a);
        assertTrue(a.awaitConnected(Duration.ofSeconds(20)), name + " connected");
    }

    private String token(String name) {
        if (admin == null) {
            throw new IllegalStateException("no admin channel");
        }
        return TrustAdminServiceGrpc.newBlockingStub(admin).createEnrollmentToken(CreateEnrollmentTokenRequest
                .newBuilder().setName(name).setRole("agent").setTtlSeconds(300).build()).getToken();
    }

    private static LocalTrainer trainer() {
        return new LocalTrainer() {
            @Override
            public TrainOutcome train(TrainRequest req) {
                float[] d = new float[req.startAdapter().values().length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) (1e-3 * ((i % 11) - 5) + req.round() * 1e-4);
                }
                return new TrainOutcome(d, 20, 0.5, 1, 0.01);
            }
        };
    }

    private static JobConfig secureJob(int perRound) {
        return JobConfig.newBuilder()
                .setName("tls")
                .setBaseModelId("tiny")
                .setBaseModelSha256(MODEL_SHA)
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8).addTargetModules("q_proj")
                        .addTargetModules("v_proj").setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A)
                        .setASeed(3))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(1).setBatchSize(4).setLearningRate(1e-3)
                        .setMaxSeqLen(16).setSeed(5))
                .setRounds(1)
                .setClientsPerRound(perRound)
                .setMinClients(4)
                .setRoundDeadlineSeconds(20)
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(LoraLayouts.llama(DIMS, 4, List.of("q_proj", "v_proj")))
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.25).setCorruptFraction(0)
                        .setClipNorm(10).setMaxWeight(1000).setStageTimeoutSeconds(5))
                .build();
    }
}
