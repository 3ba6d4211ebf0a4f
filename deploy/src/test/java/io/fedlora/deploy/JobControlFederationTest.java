package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.AuditEntry;
import io.fedlora.proto.v1.CreateEnrollmentTokenRequest;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrainingConfig;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import picocli.CommandLine;

/**
 * Operators pausing, resuming and cancelling a secure job over mutual TLS, as they type it
 * ({@code fedlora admin pause-job|resume-job|cancel-job}), with four real agents whose (fast, fake)
 * trainer holds each round until the test lets it go: a pause lets the round in progress publish and
 * starts no other, a resume carries on, a cancel mid-round (SecAgg keys already exchanged) aborts it
 * and nothing after it is published, and the agents go on to the next job unharmed.
 */
@Timeout(180)
class JobControlFederationTest {

    private static final String MODEL_SHA = "ab".repeat(32);
    private static final LlamaDims DIMS = new LlamaDims(2, 16, 32, 2, 2, 8);
    private static final int AGENTS = 4;

    @TempDir
    Path dir;

    private CoordinatorServer server;
    private ManagedChannel adminChannel;
    private final List<AgentNode> agents = new ArrayList<>();
    /** "job/round/node" for every training that has begun. */
    private final Set<String> training = ConcurrentHashMap.newKeySet();
    /** Training waits on this; the test swaps in a closed latch to hold a round, counts it down to release it. */
    private volatile CountDownLatch gate = new CountDownLatch(0);

    private record Run(int exit, String out, String err) {}

    @AfterEach
    void stop() {
        gate.countDown();
        agents.forEach(AgentNode::close);
        if (adminChannel != null) {
            CoordinatorAddress.closeQuietly(adminChannel);
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void pauseBetweenRoundsResumeThenCancelMidRound() throws Exception {
        server = CoordinatorServer.start(CoordinatorConfig.builder(dir.resolve("coordinator")).host("127.0.0.1").port(0)
                .heartbeatInterval(Duration.ofMillis(500))
                .roundTiming(new RoundTiming(Duration.ofMillis(10), Duration.ofMillis(50))).build());
        String target = "127.0.0.1:" + server.port();
        String adminCreds = server.adminCredentialsDir().orElseThrow().toString();
        adminChannel = CoordinatorAddress.open(target, server.adminCredentialsDir().orElseThrow());
        var admin = AdminServiceGrpc.newBlockingStub(adminChannel);
        for (int i = 0; i < AGENTS; i++) {
            startAgent("hospital-" + i);
        }
        String otto = enrollOperator(target, "otto", "operator");
        String vera = enrollOperator(target, "vera", "viewer");

        gate = new CountDownLatch(1);
        String job = admin.createJob(CreateJobRequest.newBuilder().setConfig(secureJob(3)).build()).getJobId();
        admin.startJob(ref(job));
        awaitTraining(job, 1);

        // Pause while round 1 trains: it still publishes, then no round 2 starts.
        Run denied = run("admin", "pause-job", job, "--coordinator", target, "--credentials", vera);
        assertEquals(3, denied.exit());
        assertTrue(denied.err().contains("PERMISSION_DENIED") && denied.err().contains("needs operator"), denied.err());
        Run paused = run("admin", "pause-job", job, "--coordinator", target, "--credentials", otto);
        assertEquals(0, paused.exit(), paused.err());
        assertEquals(job + " JOB_STATE_PAUSED", paused.out().strip());
        gate.countDown();
        await("round 1 published", () -> rounds(job).size() == 1
                && rounds(job).get(0).getState() == RoundState.ROUND_STATE_COMPLETED);
        Thread.sleep(1000);
        assertEquals(1, rounds(job).size(), "no round starts while paused");
        assertTrue(training.stream().noneMatch(t -> t.startsWith(job + "/2/")));
        Job p = admin.getJob(ref(job));
        assertEquals(JobState.JOB_STATE_PAUSED, p.getState());
        assertEquals(1, p.getLatestAdapterVersion());
        Run again = run("admin", "pause-job", job, "--coordinator", target, "--credentials", otto);
        assertEquals(3, again.exit());
        assertTrue(again.err().contains("FAILED_PRECONDITION") && again.err().contains("it is paused"), again.err());

        // Resume (an admin may too); round 2 starts and is held in training, SecAgg keys already advertised.
        gate = new CountDownLatch(1);
        Run resumed = run("admin", "resume-job", job, "--coordinator", target, "--credentials", adminCreds);
        assertEquals(0, resumed.exit(), resumed.err());
        assertEquals(job + " JOB_STATE_RUNNING", resumed.out().strip());
        awaitTraining(job, 2);

        // Cancel mid-round: aborted, nothing published, for good.
        Run cancelled = run("admin", "cancel-job", job, "--coordinator", target, "--credentials", otto);
        assertEquals(0, cancelled.exit(), cancelled.err());
        assertEquals(job + " JOB_STATE_CANCELLED", cancelled.out().strip());
        gate.countDown();
        Thread.sleep(1500); // the agents finish training: none may get anything in
        Job c = admin.getJob(ref(job));
        assertEquals(JobState.JOB_STATE_CANCELLED, c.getState());
        assertEquals("cancelled by operator otto", c.getFailureReason());
        assertEquals(1, c.getCompletedRounds());
        assertEquals(1, c.getLatestAdapterVersion());
        List<RoundSummary> rounds = rounds(job);
        assertEquals(2, rounds.size());
        assertEquals(RoundState.ROUND_STATE_ABORTED, rounds.get(1).getState());
        assertEquals("job cancelled by operator otto", rounds.get(1).getAbortReason());
        assertTrue(rounds.get(1).getSecureAggregation());
        StatusRuntimeException noV2 = assertThrows(StatusRuntimeException.class, () -> admin.downloadAdapter(
                DownloadAdapterRequest.newBuilder().setJobId(job).setVersion(2).build()).hasNext());
        assertEquals(Status.Code.NOT_FOUND, noV2.getStatus().getCode());
        Run resumeCancelled = run("admin", "resume-job", job, "--coordinator", target, "--credentials", otto);
        assertEquals(3, resumeCancelled.exit());
        assertTrue(resumeCancelled.err().contains("it is cancelled"), resumeCancelled.err());
        Run unknown = run("admin", "cancel-job", "no-such-job", "--coordinator", target, "--credentials", otto);
        assertTrue(unknown.exit() == 3 && unknown.err().contains("NOT_FOUND"), unknown.err());

        // The agents dropped the abandoned round cleanly: the next job runs with all of them.
        String next = admin.createJob(CreateJobRequest.newBuilder().setConfig(secureJob(1)).build()).getJobId();
        admin.startJob(ref(next));
        Job done = server.awaitJob(next, Duration.ofSeconds(60));
        assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
        assertEquals(AGENTS, rounds(next).get(0).getContributingNodesCount());
        assertEquals(2, rounds(job).size(), "still nothing after the cancel");

        // Each call is in the audit log with its caller and outcome.
        List<AuditEntry> audit = TrustAdminServiceGrpc.newBlockingStub(adminChannel).listAuditLog(
                ListAuditLogRequest.newBuilder().setLimit(1000).build()).getEntriesList();
        assertAudited(audit, "vera", "AdminService/PauseJob", "PERMISSION_DENIED", "");
        assertAudited(audit, "otto", "AdminService/PauseJob", "OK", job);
        assertAudited(audit, "otto", "AdminService/PauseJob", "FAILED_PRECONDITION", job);
        assertAudited(audit, "local-admin", "AdminService/ResumeJob", "OK", job);
        assertAudited(audit, "otto", "AdminService/CancelJob", "OK", job);
        assertAudited(audit, "otto", "AdminService/CancelJob", "NOT_FOUND", "no-such-job");
    }

    private static void assertAudited(List<AuditEntry> audit, String actor, String action, String outcome, String job) {
        assertTrue(audit.stream().anyMatch(e -> e.getActor().equals(actor) && e.getAction().equals(action)
                && e.getOutcome().equals(outcome) && e.getTarget().contains(job)),
                actor + " " + action + " " + outcome + " " + job + " not in " + audit);
    }

    private List<RoundSummary> rounds(String job) {
        return AdminServiceGrpc.newBlockingStub(adminChannel).listRounds(ref(job)).getRoundsList();
    }

    private void awaitTraining(String job, int round) throws InterruptedException {
        await("all agents training round " + round, () -> training.stream()
                .filter(t -> t.startsWith(job + "/" + round + "/")).count() == AGENTS);
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static JobRef ref(String job) {
        return JobRef.newBuilder().setJobId(job).build();
    }

    private static Run run(String... args) {
        CommandLine cli = Fedlora.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Enrols an operator with the CLI, as a person would; returns its credentials directory. */
    private String enrollOperator(String target, String name, String role) {
        String token = TrustAdminServiceGrpc.newBlockingStub(adminChannel).createEnrollmentToken(
                CreateEnrollmentTokenRequest.newBuilder().setName(name).setRole(role).setTtlSeconds(300).build()).getToken();
        Path out = dir.resolve("operators/" + name);
        Run r = run("enroll", "--coordinator", target, "--token", token, "--name", name, "--ca-cert",
                server.caCertificateFile().orElseThrow().toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        return out.toString();
    }

    private void startAgent(String name) throws Exception {
        String token = TrustAdminServiceGrpc.newBlockingStub(adminChannel).createEnrollmentToken(
                CreateEnrollmentTokenRequest.newBuilder().setName(name).setRole("agent").setTtlSeconds(300).build())
                .getToken();
        AgentConfig config = AgentConfig.builder("127.0.0.1:" + server.port(), dir.resolve("agents/" + name), name,
                        MODEL_SHA)
                .numExamples(20)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .enrollWith(EnrollmentToken.of(token), server.caCertificateFile().orElseThrow())
                .build();
        AgentNode a = AgentNode.start(config, new GatedTrainer(name));
        agents.add(a);
        assertTrue(a.awaitConnected(Duration.ofSeconds(20)), name + " connected");
    }

    /** A fast deterministic trainer that records each training and waits at the test's gate. */
    private final class GatedTrainer implements LocalTrainer {
        private final String name;

        GatedTrainer(String name) {
            this.name = name;
        }

        @Override
        public TrainOutcome train(TrainRequest req) {
            training.add(req.jobId() + "/" + req.round() + "/" + name);
            try {
                gate.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            float[] d = new float[req.startAdapter().values().length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (1e-3 * ((i % 11) - 5) + req.round() * 1e-4);
            }
            return new TrainOutcome(d, 20, 0.5, 1, 0.01);
        }
    }

    private static JobConfig secureJob(int rounds) {
        return JobConfig.newBuilder()
                .setName("control")
                .setBaseModelId("tiny")
                .setBaseModelSha256(MODEL_SHA)
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8).addTargetModules("q_proj")
                        .addTargetModules("v_proj").setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A)
                        .setASeed(3))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(1).setBatchSize(4).setLearningRate(1e-3)
                        .setMaxSeqLen(16).setSeed(5))
                .setRounds(rounds)
                .setClientsPerRound(AGENTS)
                .setMinClients(3)
                .setRoundDeadlineSeconds(60)
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(LoraLayouts.llama(DIMS, 4, List.of("q_proj", "v_proj")))
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.25).setCorruptFraction(0)
                        .setClipNorm(10).setMaxWeight(1000).setStageTimeoutSeconds(30))
                .build();
    }
}
