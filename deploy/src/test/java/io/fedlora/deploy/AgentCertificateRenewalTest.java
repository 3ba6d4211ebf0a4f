package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.agent.RenewalPolicy;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.trust.TlsSettings;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.proto.v1.IssuedCertificate;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.ListCertificatesRequest;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
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

    private static final Duration LIFETIME = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private TlsFederationFixture federation;

    @AfterEach
    void stop() {
        if (federation != null) {
            federation.close();
        }
    }

    @Test
    void agentsRenewShortLivedCertificatesAndKeepTakingPart() throws Exception {
        federation = TlsFederationFixture.start(dir, TinyFederation.quickRounds(TlsFederationFixture.onLoopback(dir)
                .tls(TlsSettings.generatedCa().withClientCertificateValidity(LIFETIME))));
        CoordinatorServer server = federation.server();
        var trust = TrustAdminServiceGrpc.newBlockingStub(federation.admin());
        List<AgentNode> agents = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String name = "hospital-" + i;
            String token = federation.enrollmentToken(name, "agent");
            AgentConfig.Builder config = federation.enrolledAgent(name, token);
            if (i == 0) {
                // Also a standby's address (not listening): the renewed certificate goes to both channels.
                config = AgentConfig.builder(standbyAddress() + ",127.0.0.1:" + server.port(),
                        dir.resolve("agents/" + name), name, TinyFederation.MODEL_SHA).numExamples(20)
                        .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                        .enrollWith(EnrollmentToken.of(token), server.caCertificateFile().orElseThrow());
            }
            agents.add(federation.startAgent(config
                    // Renew with 6 s of 10 left: each certificate is replaced about 4 s after it was issued.
                    .renewal(new RenewalPolicy(0, Duration.ofSeconds(6), Duration.ofMillis(250))).build(),
                    TinyFederation.trainer()));
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

    private static String standbyAddress() throws java.io.IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    private static List<IssuedCertificate> certificates(TrustAdminServiceGrpc.TrustAdminServiceBlockingStub trust,
            String node) {
        return trust.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesList().stream()
                .filter(c -> c.getSubjectId().equals(node)).toList();
    }

    private static JobConfig secureJob() {
        return TinyFederation.secureJob("renewal", 2, 4, 4).build();
    }
}
