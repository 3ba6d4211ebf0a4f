package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraLayouts.LlamaDims;
import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.agent.RenewalPolicy;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.round.RoundTiming;
import io.fedlora.coordinator.trust.TlsSettings;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.IssuedCertificate;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.ListCertificatesRequest;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrainingConfig;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real agents whose certificates live 10 s renew them by themselves, again and again, and go on
 * taking part in secure rounds after the certificate they enrolled with has expired (the coordinator
 * refuses an expired certificate per call, so the rounds prove the new ones are in use).
 */
@Timeout(120)
class AgentCertificateRenewalTest {

    private static final String MODEL_SHA = "ab".repeat(32);
    private static final LlamaDims DIMS = new LlamaDims(2, 16, 32, 2, 2, 8);
    private static final Duration LIFETIME = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private ManagedChannel admin;
    private final List<AgentNode> agents = new ArrayList<>();

    @AfterEach
    void stop() {
        agents.forEach(AgentNode::close);
        if (admin != null) {
            CoordinatorAddress.closeQuietly(admin);
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void agentsRenewShortLivedCertificatesAndKeepTakingPart() throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir.resolve("coordinator")).host("127.0.0.1").port(0)
                .tls(TlsSettings.generatedCa().withClientCertificateValidity(LIFETIME))
                .heartbeatInterval(Duration.ofMillis(500))
                .roundTiming(new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(50))).build());
        admin = CoordinatorAddress.open("127.0.0.1:" + server.port(), server.adminCredentialsDir().orElseThrow());
        var trust = TrustAdminServiceGrpc.newBlockingStub(admin);
        for (int i = 0; i < 4; i++) {
            String name = "hospital-" + i;
            String token = trust.createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder().setName(name)
                    .setRole("agent").setTtlSeconds(300).build()).getToken();
            AgentNode a = AgentNode.start(AgentConfig.builder("127.0.0.1:" + server.port(), dir.resolve("agents/" + name),
                            name, MODEL_SHA)
                    .numExamples(20).backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                    // Renew with 6 s of 10 left: each certificate is replaced about 4 s after it was issued.
                    .renewal(new RenewalPolicy(0, Duration.ofSeconds(6), Duration.ofMillis(250)))
                    .enrollWith(EnrollmentToken.of(token), server.caCertificateFile().orElseThrow()).build(), trainer());
            agents.add(a);
            assertTrue(a.awaitConnected(Duration.ofSeconds(20)), name + " connected");
        }
        Path tls = dir.resolve("agents/hospital-0/tls");
        String node = agents.get(0).nodeId();
        IssuedCertificate enrolled = certificates(trust, node).stream()
                .min(java.util.Comparator.comparingLong(IssuedCertificate::getExpiresUnixMs)).orElseThrow();
        Instant firstExpiry = Instant.ofEpochMilli(enrolled.getExpiresUnixMs());

        // Past the first certificate's expiry, with the agents renewing all along.
        while (Instant.now().isBefore(firstExpiry.plusSeconds(1))) {
            Thread.sleep(200);
        }
        String job = server.jobs().create(secureJob()).jobId();
        server.startJob(job);
        assertEquals(JobState.JOB_STATE_COMPLETED, server.awaitJob(job, Duration.ofSeconds(60)).getState());
        RoundSummary r = server.jobs().rounds(job).get(0);
        assertEquals(4, r.getContributingNodesCount(), r.toString());

        List<IssuedCertificate> issued = certificates(trust, node);
        assertTrue(issued.size() >= 3, "renewed more than once: " + issued);
        TlsCredentials now = TlsCredentials.load(tls);
        PeerIdentity id = PeerIdentity.of(now.certificate());
        assertEquals(node, id.subjectId(), "the same node");
        byte[] seed = Files.readAllBytes(dir.resolve("agents/hospital-0/identity-ed25519.key"));
        assertEquals(Ed25519PrivateKey.fromSeed(SecretBytes.copyOf(seed)).publicKey(), id.identityKey().orElseThrow(),
                "the same identity key");
        assertNotEquals(enrolled.getSerial(), now.certificate().getSerialNumber().toString(16));
        assertTrue(now.certificate().getNotAfter().toInstant().isAfter(Instant.now()));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.resolve("client.key"))));
        assertFalse(Files.exists(tls.resolve("renewing")));
        assertEquals(node, agents.get(0).nodeId());
        assertTrue(trust.listAuditLog(ListAuditLogRequest.newBuilder().setLimit(1000).build()).getEntriesList().stream()
                .anyMatch(e -> e.getAction().equals("EnrollmentService/Renew") && e.getActor().equals(node)
                        && e.getOutcome().equals("OK")));
    }

    private static List<IssuedCertificate> certificates(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust,
            String node) {
        return trust.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesList().stream()
                .filter(c -> c.getSubjectId().equals(node)).toList();
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

    private static JobConfig secureJob() {
        return JobConfig.newBuilder()
                .setName("renewal")
                .setBaseModelId("tiny")
                .setBaseModelSha256(MODEL_SHA)
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8).addTargetModules("q_proj")
                        .addTargetModules("v_proj").setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A)
                        .setASeed(3))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(1).setBatchSize(4).setLearningRate(1e-3)
                        .setMaxSeqLen(16).setSeed(5))
                .setRounds(2)
                .setClientsPerRound(4)
                .setMinClients(4)
                .setRoundDeadlineSeconds(20)
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(LoraLayouts.llama(DIMS, 4, List.of("q_proj", "v_proj")))
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.25).setCorruptFraction(0)
                        .setClipNorm(10).setMaxWeight(1000).setStageTimeoutSeconds(5))
                .build();
    }
}
