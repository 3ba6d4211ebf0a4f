package io.fedlora.deploy;

import static io.fedlora.deploy.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AuditEntry;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListAuditLogRequest;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
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
 * Operators pausing, resuming and cancelling a secure job over mutual TLS, as they type it
 * ({@code fedlora admin pause-job|resume-job|cancel-job}), with four real agents whose (fast, fake)
 * trainer holds each round until the test lets it go: a pause lets the round in progress publish and
 * starts no other, a resume carries on, a cancel mid-round (SecAgg keys already exchanged) aborts it
 * and nothing after it is published, and the agents go on to the next job unharmed.
 */
@Timeout(180)
class JobControlFederationTest {

    private static final int AGENTS = 4;

    @TempDir
    Path dir;

    private TlsFederationFixture federation;
    private CoordinatorServer server;
    private ManagedChannel adminChannel;
    /** "job/round/node" for every training that has begun. */
    private final Set<String> training = ConcurrentHashMap.newKeySet();
    /** Training waits on this; the test swaps in a closed latch to hold a round, counts it down to release it. */
    private volatile CountDownLatch gate = new CountDownLatch(0);

    @AfterEach
    void stop() {
        gate.countDown();
        if (federation != null) {
            federation.close();
        }
    }

    @Test
    void pauseBetweenRoundsResumeThenCancelMidRound() throws Exception {
        federation = TlsFederationFixture.start(dir);
        server = federation.server();
        adminChannel = federation.admin();
        String target = "127.0.0.1:" + server.port();
        String adminCreds = server.adminCredentialsDir().orElseThrow().toString();
        var admin = AdminServiceGrpc.newBlockingStub(adminChannel);
        for (int i = 0; i < AGENTS; i++) {
            startAgent("hospital-" + i);
        }
        String otto = enrollOperator(target, "otto", "operator");
        String vera = enrollOperator(target, "vera", "viewer");

        gate = new CountDownLatch(1);
        String job = admin.createJob(CreateJobRequest.newBuilder().setConfig(secureJob(3)).build()).getJobId();
        // An operator follows the job's log from its start; the stream ends when the job does.
        java.util.concurrent.CompletableFuture<CliRun> followed = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> run("admin", "logs", "--job", job, "--follow", "--coordinator", target, "--credentials", vera));
        admin.startJob(ref(job));
        awaitTraining(job, 1);

        // Pause while round 1 trains: it still publishes, then no round 2 starts.
        CliRun denied = run("admin", "pause-job", job, "--coordinator", target, "--credentials", vera);
        assertEquals(3, denied.exit());
        assertTrue(denied.err().contains("PERMISSION_DENIED") && denied.err().contains("needs operator"), denied.err());
        CliRun paused = run("admin", "pause-job", job, "--coordinator", target, "--credentials", otto);
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
        CliRun again = run("admin", "pause-job", job, "--coordinator", target, "--credentials", otto);
        assertEquals(3, again.exit());
        assertTrue(again.err().contains("FAILED_PRECONDITION") && again.err().contains("it is paused"), again.err());

        // Resume (an admin may too); round 2 starts and is held in training, SecAgg keys already advertised.
        gate = new CountDownLatch(1);
        CliRun resumed = run("admin", "resume-job", job, "--coordinator", target, "--credentials", adminCreds);
        assertEquals(0, resumed.exit(), resumed.err());
        assertEquals(job + " JOB_STATE_RUNNING", resumed.out().strip());
        awaitTraining(job, 2);

        // Cancel mid-round: aborted, nothing published, for good.
        CliRun cancelled = run("admin", "cancel-job", job, "--coordinator", target, "--credentials", otto);
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
        CliRun log = followed.get(30, TimeUnit.SECONDS);
        assertEquals(0, log.exit(), log.err());
        for (String line : List.of("round 1: selected", "paused", "resumed", "round 2: selected", "cancelled by operator otto")) {
            assertTrue(log.out().contains(line), "'" + line + "' in the followed log:\n" + log.out());
        }
        CliRun tail = run("admin", "logs", "--job", job, "--tail", "2", "--coordinator", target, "--credentials", vera);
        assertEquals(2, tail.out().strip().lines().count(), tail.out());
        assertTrue(tail.out().strip().endsWith("round 2 aborted: job cancelled by operator otto"), tail.out());
        CliRun resumeCancelled = run("admin", "resume-job", job, "--coordinator", target, "--credentials", otto);
        assertEquals(3, resumeCancelled.exit());
        assertTrue(resumeCancelled.err().contains("it is cancelled"), resumeCancelled.err());
        CliRun unknown = run("admin", "cancel-job", "no-such-job", "--coordinator", target, "--credentials", otto);
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
        Await.until(what, Duration.ofSeconds(60), cond);
    }

    private static JobRef ref(String job) {
        return JobRef.newBuilder().setJobId(job).build();
    }

    /** Enrols an operator with the CLI, as a person would; returns its credentials directory. */
    private String enrollOperator(String target, String name, String role) {
        String token = federation.enrollmentToken(name, role);
        Path out = dir.resolve("operators/" + name);
        CliRun r = run("enroll", "--coordinator", target, "--token", token, "--name", name, "--ca-cert",
                server.caCertificateFile().orElseThrow().toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        return out.toString();
    }

    private void startAgent(String name) throws Exception {
        String token = federation.enrollmentToken(name, "agent");
        federation.startAgent(federation.enrolledAgent(name, token).build(), new GatedTrainer(name, training, () -> gate));
    }

    /** Longer deadlines than the tiny job's own: a round is held at the gate while the operators act. */
    private static JobConfig secureJob(int rounds) {
        JobConfig.Builder job = TinyFederation.secureJob("control", rounds, AGENTS, 3).setRoundDeadlineSeconds(60);
        job.getSecureAggregationBuilder().setStageTimeoutSeconds(30);
        return job.build();
    }
}
