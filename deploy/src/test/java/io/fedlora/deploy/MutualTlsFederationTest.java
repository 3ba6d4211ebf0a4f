package io.fedlora.deploy;

import static io.fedlora.deploy.TinyFederation.MODEL_SHA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.crypto.pki.PeerIdentity;
import io.fedlora.crypto.pki.TlsCredentials;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.RevokeRequest;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
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

    @TempDir
    Path dir;

    private TlsFederationFixture federation;
    private CoordinatorServer server;
    private ManagedChannel admin;
    private final Map<String, AgentNode> agents = new HashMap<>();

    @AfterEach
    void stop() {
        if (federation != null) {
            federation.close();
        }
    }

    @Test
    void enrolledAgentsRunSecureRoundsAndARevokedOneIsLeftOut() throws Exception {
        started(TlsFederationFixture.start(dir));
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
        started(TlsFederationFixture.start(dir, TlsFederationFixture.onLoopback(dir)));
        AgentConfig config = AgentConfig.builder("127.0.0.1:" + server.port(), dir.resolve("agents/x"), "x", MODEL_SHA)
                .build();
        IOException e = assertThrows(IOException.class, () -> AgentNode.start(config, TinyFederation.trainer()));
        assertTrue(e.getMessage().contains("not enrolled"), e.getMessage());

        AgentConfig wrongName = AgentConfig.builder("127.0.0.1:" + server.port(), dir.resolve("agents/y"), "y", MODEL_SHA)
                .enrollWith(EnrollmentToken.of(token("someone-else")), server.caCertificateFile().orElseThrow()).build();
        IOException refused = assertThrows(IOException.class,
                () -> AgentNode.start(wrongName, TinyFederation.trainer()));
        assertTrue(refused.getMessage().contains("PERMISSION_DENIED"), refused.getMessage());
        assertFalse(Files.exists(dir.resolve("agents/y/tls/client.crt")));
    }

    @Test
    void givenAStandbyFirstAnAgentEnrolsWithAndFollowsTheActiveCoordinator() throws Exception {
        started(TlsFederationFixture.start(dir, TlsFederationFixture.onLoopback(dir)));
        String standby = "127.0.0.1:" + unusedPort(); // a standby does not listen until it holds the lease
        String active = "127.0.0.1:" + server.port();
        AgentConfig config = AgentConfig.builder(standby + "," + active, dir.resolve("agents/z"), "z", MODEL_SHA)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .enrollWith(EnrollmentToken.of(token("z")), server.caCertificateFile().orElseThrow()).build();
        AgentNode z = federation.startAgent(config, TinyFederation.trainer());
        assertEquals(PeerIdentity.of(TlsCredentials.load(dir.resolve("agents/z/tls")).certificate()).subjectId(),
                z.nodeId());
        assertTrue(AdminServiceGrpc.newBlockingStub(admin).listNodes(ListNodesRequest.getDefaultInstance())
                .getNodesList().stream().anyMatch(n -> n.getNodeId().equals(z.nodeId()) && n.getConnected()));
    }

    private static int unusedPort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void started(TlsFederationFixture f) {
        federation = f;
        server = f.server();
        admin = f.admin();
    }

    /** Without {@code enroll} the agent must come back with the certificate in its state dir. */
    private void start(String name, boolean enroll) throws Exception {
        AgentConfig.Builder b = enroll ? federation.enrolledAgent(name, token(name)) : federation.agent(name);
        b.numExamples(20 + name.hashCode() % 7);
        agents.put(name, federation.startAgent(b.build(), TinyFederation.trainer()));
    }

    private String token(String name) {
        return federation.enrollmentToken(name, "agent");
    }

    private static JobConfig secureJob(int perRound) {
        return TinyFederation.secureJob("tls", 1, perRound, 4).build();
    }
}
