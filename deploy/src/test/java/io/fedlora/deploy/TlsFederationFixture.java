package io.fedlora.deploy;

import io.fedlora.client.agent.AgentConfig;
import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.client.train.LocalTrainer;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real coordinator on a loopback port over mutual TLS (its own CA, H2 database and admin credentials
 * in {@code dir/coordinator}), an admin channel to it, and the in-process agents a test enrols with
 * one-time tokens. Closing it closes the agents, then the channel, then the coordinator.
 */
final class TlsFederationFixture implements AutoCloseable {

    private final Path dir;
    private final CoordinatorServer server;
    private final ManagedChannel admin;
    private final List<AgentNode> agents = new ArrayList<>();

    private TlsFederationFixture(Path dir, CoordinatorServer server, ManagedChannel admin) {
        this.dir = dir;
        this.server = server;
        this.admin = admin;
    }

    /** The coordinator's settings before a test adds its own: data in {@code dir/coordinator}, any free port. */
    static CoordinatorConfig.Builder onLoopback(Path dir) {
        return CoordinatorConfig.builder(dir.resolve("coordinator")).host("127.0.0.1").port(0);
    }

    /** With {@link TinyFederation#quickRounds quick rounds}, as most tests want. */
    static TlsFederationFixture start(Path dir) throws Exception {
        return start(dir, TinyFederation.quickRounds(onLoopback(dir)));
    }

    static TlsFederationFixture start(Path dir, CoordinatorConfig.Builder coordinator) throws Exception {
        CoordinatorServer server = CoordinatorServer.start(coordinator.build());
        try {
            ManagedChannel admin = CoordinatorAddress.open("127.0.0.1:" + server.port(),
                    server.adminCredentialsDir().orElseThrow());
            return new TlsFederationFixture(dir, server, admin);
        } catch (Exception e) {
            server.close(); // the test has no fixture to close
            throw e;
        }
    }

    CoordinatorServer server() {
        return server;
    }

    /** As the local admin (full rights). */
    ManagedChannel admin() {
        return admin;
    }

    /** A one-time enrollment token for this name and role, valid for 5 minutes. */
    String enrollmentToken(String name, String role) {
        return TrustAdminServiceGrpc.newBlockingStub(admin).createEnrollmentToken(CreateEnrollmentTokenRequest
                .newBuilder().setName(name).setRole(role).setTtlSeconds(300).build()).getToken();
    }

    /** An agent's settings, as {@link TinyFederation#agentConfig}, for a node that already holds a certificate. */
    AgentConfig.Builder agent(String name) {
        return TinyFederation.agentConfig(server.port(), dir, name);
    }

    /** An agent's settings that enrol with this token (and the coordinator's CA) if it has no certificate yet. */
    AgentConfig.Builder enrolledAgent(String name, String token) {
        return agent(name).enrollWith(EnrollmentToken.of(token), server.caCertificateFile().orElseThrow());
    }

    /** Starts the agent, fails unless it connects within 20 s, and closes it with the federation. */
    AgentNode startAgent(AgentConfig config, LocalTrainer trainer) throws Exception {
        AgentNode a = AgentNode.start(config, trainer);
        agents.add(a); // before the check, so that one which never connects is closed too
        TinyFederation.assertConnected(a, config);
        return a;
    }

    @Override
    public void close() {
        // An agent a test closed already is closed again here: AgentNode.close does nothing the second time.
        agents.forEach(AgentNode::close);
        CoordinatorAddress.closeQuietly(admin);
        server.close();
    }
}
