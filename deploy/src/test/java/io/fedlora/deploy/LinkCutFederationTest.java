package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.fedlora.client.agent.AgentNode;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose link fails while it trains a secure round and stays down until that round has ended
 * (so the coordinator's "round ended" never reaches it): once back, the node has given the lost round
 * up instead of waiting until its deadline for a key exchange that cannot finish, and contributes to
 * the next job's round at once.
 */
@Timeout(150)
class LinkCutFederationTest {

    private static final int AGENTS = 4;

    @TempDir
    Path dir;

    private TlsFederationFixture federation;
    private LinkProxy link;
    private final Set<String> training = ConcurrentHashMap.newKeySet();
    private volatile CountDownLatch gate = new CountDownLatch(1);

    @AfterEach
    void stop() {
        gate.countDown();
        if (federation != null) {
            federation.close();
        }
        if (link != null) {
            link.close();
        }
    }

    @Test
    void aNodeCutOffMidRoundIsInTheNextRound() throws Exception {
        federation = TlsFederationFixture.start(dir);
        CoordinatorServer server = federation.server();
        link = LinkProxy.to(server.port());
        AgentNode cutOff = null;
        for (int i = 0; i < AGENTS; i++) {
            String name = "ward-" + i;
            String token = federation.enrollmentToken(name, "agent");
            int port = i == AGENTS - 1 ? link.port() : server.port();
            AgentNode a = federation.startAgent(TinyFederation.agentConfig(port, dir, name)
                    .enrollWith(EnrollmentToken.of(token), server.caCertificateFile().orElseThrow()).build(),
                    new GatedTrainer(name, training, () -> gate));
            cutOff = a;
        }
        String node = cutOff.nodeId();
        var admin = AdminServiceGrpc.newBlockingStub(federation.admin());
        String first = admin.createJob(CreateJobRequest.newBuilder().setConfig(secureJob("first", 3)).build())
                .getJobId();
        admin.startJob(JobRef.newBuilder().setJobId(first).build());
        await("all agents training", () -> training.size() == AGENTS);

        link.down();
        await("the coordinator sees the node gone", () -> !server.connectedNodeIds().contains(node));
        gate.countDown();
        Job firstDone = server.awaitJob(first, Duration.ofSeconds(60));
        assertEquals(JobState.JOB_STATE_COMPLETED, firstDone.getState(), firstDone.getFailureReason());
        RoundSummary lost = rounds(admin, first).get(0);
        assertEquals(AGENTS - 1, lost.getContributingNodesCount());
        assertFalse(lost.getContributingNodesList().contains(node));

        link.up();
        await("the node back", () -> server.connectedNodeIds().contains(node));
        String next = admin.createJob(CreateJobRequest.newBuilder().setConfig(secureJob("next", AGENTS)).build())
                .getJobId();
        admin.startJob(JobRef.newBuilder().setJobId(next).build());
        Job nextDone = server.awaitJob(next, Duration.ofSeconds(100));
        assertEquals(JobState.JOB_STATE_COMPLETED, nextDone.getState(), nextDone.getFailureReason());
        RoundSummary round = rounds(admin, next).get(0);
        assertEquals(RoundState.ROUND_STATE_COMPLETED, round.getState(),
                "the cut-off node is in the next job's first round, not held by the lost round: " + round);
        assertEquals(AGENTS, round.getContributingNodesCount());
    }

    private static List<RoundSummary> rounds(AdminServiceGrpc.AdminServiceBlockingStub admin, String job) {
        return admin.listRounds(JobRef.newBuilder().setJobId(job).build()).getRoundsList();
    }

    /** One round; a long round deadline, so that a node held by a lost round would miss the next one's stages. */
    private static JobConfig secureJob(String name, int minClients) {
        JobConfig.Builder job = TinyFederation.secureJob(name, 1, AGENTS, minClients).setRoundDeadlineSeconds(90);
        job.getSecureAggregationBuilder().setStageTimeoutSeconds(20);
        return job.build();
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        Await.until(what, Duration.ofSeconds(60), cond);
    }
}
