package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.Fixtures;
import io.fedlora.coordinator.auth.AuditTrail;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.grpc.Status;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Store} must do, whatever database is behind it: run by {@link H2StoreContractTest}
 * and {@link PostgresStoreContractTest}. Each test starts on an empty, freshly migrated database.
 */
abstract class StoreContract {

    private static final String SHA0 = "00".repeat(32);
    private static final String SHA1 = "11".repeat(32);

    /** Opens the test's database (the same one each time, so state must survive a close). */
    abstract Store open();

    /** Writes the database directly, as someone with access to it (not through the store) could. */
    abstract void sql(String... statements) throws Exception;

    private static JobRecord job(String id, JobState state) {
        return new JobRecord(id, Fixtures.config(2, 2, 1, 5), state, 0, 0, SHA0, 1000, "");
    }

    @Test
    void adapterVersionKeepsItsStrategyStateBlob() {
        String state = "5e".repeat(32);
        try (Store s = open()) {
            s.insertJob(job("js", JobState.JOB_STATE_RUNNING), new AdapterVersion("js", 0, SHA0, 10, 1000));
            s.insertRound(RoundSummary.newBuilder().setJobId("js").setRound(1).setState(RoundState.ROUND_STATE_RUNNING)
                    .build());
            assertTrue(s.completeRound(RoundSummary.newBuilder().setJobId("js").setRound(1)
                    .setState(RoundState.ROUND_STATE_COMPLETED).setAdapterVersion(1).build(),
                    new AdapterVersion("js", 1, SHA1, 12, 2000, state)));
        }
        try (Store s = open()) {
            assertEquals(state, s.adapterVersion("js", 1).orElseThrow().strategyStateSha256());
            assertEquals("", s.adapterVersion("js", 0).orElseThrow().strategyStateSha256(), "no state: empty, unpadded");
            assertEquals(List.of(new AdapterVersion("js", 0, SHA0, 10, 1000), new AdapterVersion("js", 1, SHA1, 12, 2000,
                    state)), s.adapterVersions("js"), "all of them, by version");
            assertEquals(List.of(), s.adapterVersions("no-such-job"));
        }
    }

    @Test
    void jobsRoundsAndNodesSurviveReopen() {
        try (Store s = open()) {
            s.insertJob(job("j1", JobState.JOB_STATE_RUNNING), new AdapterVersion("j1", 0, SHA0, 10, 1000));
            s.insertRound(RoundSummary.newBuilder().setJobId("j1").setRound(1).setState(RoundState.ROUND_STATE_RUNNING)
                    .addSelectedNodes("a").build());
            assertTrue(s.completeRound(RoundSummary.newBuilder().setJobId("j1").setRound(1)
                    .setState(RoundState.ROUND_STATE_COMPLETED).addSelectedNodes("a").addContributingNodes("a")
                    .setAdapterVersion(1).build(), new AdapterVersion("j1", 1, SHA1, 12, 2000)));
            s.insertRound(RoundSummary.newBuilder().setJobId("j1").setRound(2).setState(RoundState.ROUND_STATE_RUNNING).build());
            s.upsertNode(new NodeRecord("n1", "alpha", List.of(Fixtures.MODEL_SHA), 50, "cpu", 5));
            s.upsertNode(new NodeRecord("n1", "alpha2", List.of(), 60, "cuda", 6, "ab".repeat(32)));
            s.touchNode("n1", 7);
        }
        try (Store s = open()) {
            JobRecord j = s.job("j1").orElseThrow();
            assertEquals(1, j.completedRounds());
            assertEquals(1, j.latestVersion());
            assertEquals(SHA1, j.latestSha256());
            assertEquals(Fixtures.config(2, 2, 1, 5), j.config());
            assertEquals(2, s.lastRound("j1"));
            assertEquals(0, s.lastRound("no-such-job"));
            assertEquals(1, s.abortRunningRounds("coordinator restarted", 3000));
            List<RoundSummary> rounds = s.rounds("j1");
            assertEquals(RoundState.ROUND_STATE_COMPLETED, rounds.get(0).getState());
            assertEquals(RoundState.ROUND_STATE_ABORTED, rounds.get(1).getState());
            assertEquals("coordinator restarted", rounds.get(1).getAbortReason());
            assertEquals(3000, rounds.get(1).getEndedUnixMs());
            assertEquals(new AdapterVersion("j1", 1, SHA1, 12, 2000), s.adapterVersion("j1", 1).orElseThrow());
            assertTrue(s.adapterVersion("j1", 2).isEmpty());
            assertEquals(List.of(new NodeRecord("n1", "alpha2", List.of(), 60, "cuda", 7, "ab".repeat(32))), s.nodes());
            assertEquals("alpha2", s.node("n1").orElseThrow().nodeName());
            assertTrue(s.node("n2").isEmpty());
        }
    }

    @Test
    void jobsAreListedOldestFirstAndStateChangesAreConditional() {
        try (Store s = open()) {
            s.insertJob(new JobRecord("late", Fixtures.config(1, 1, 1, 5), JobState.JOB_STATE_CREATED, 0, 0, SHA0, 2000, ""),
                    new AdapterVersion("late", 0, SHA0, 1, 2000));
            s.insertJob(job("early", JobState.JOB_STATE_CREATED), new AdapterVersion("early", 0, SHA0, 1, 1000));
            assertEquals(List.of("early", "late"), s.jobs().stream().map(JobRecord::jobId).toList());
            assertTrue(s.transitionJobState("early", Set.of(JobState.JOB_STATE_CREATED), JobState.JOB_STATE_RUNNING, ""));
            assertFalse(s.transitionJobState("early", Set.of(JobState.JOB_STATE_CREATED), JobState.JOB_STATE_CANCELLED,
                    "too late"), "the job is no longer CREATED");
            assertFalse(s.transitionJobState("early", Set.of(), JobState.JOB_STATE_CANCELLED, ""));
            s.setJobState("late", JobState.JOB_STATE_FAILED, "base model gone");
            assertEquals("base model gone", s.job("late").orElseThrow().failureReason());
            assertEquals(JobState.JOB_STATE_RUNNING, s.job("early").orElseThrow().state());
            StoreException dup = assertThrows(StoreException.class, () -> s.insertJob(job("early",
                    JobState.JOB_STATE_CREATED), new AdapterVersion("early", 0, SHA0, 1, 1000)));
            assertTrue(dup.getMessage().contains("insert job early"), dup.getMessage());
            assertEquals(1, s.jobs().stream().filter(j -> j.jobId().equals("early")).count(), "nothing half-written");
        }
    }

    @Test
    void aCancelledJobPublishesNothing() {
        try (Store s = open()) {
            s.insertJob(job("j", JobState.JOB_STATE_RUNNING), new AdapterVersion("j", 0, SHA0, 1, 1000));
            RoundSummary running = RoundSummary.newBuilder().setJobId("j").setRound(1)
                    .setState(RoundState.ROUND_STATE_RUNNING).build();
            s.insertRound(running);
            s.setJobState("j", JobState.JOB_STATE_CANCELLED, "operator");
            assertFalse(s.completeRound(running.toBuilder().setState(RoundState.ROUND_STATE_COMPLETED).build(),
                    new AdapterVersion("j", 1, SHA1, 1, 2000)));
            assertTrue(s.adapterVersion("j", 1).isEmpty());
            assertEquals(0, s.job("j").orElseThrow().completedRounds());
            assertEquals(RoundState.ROUND_STATE_RUNNING, s.rounds("j").get(0).getState());
            StoreException e = assertThrows(StoreException.class, () -> s.endRound(running.toBuilder().setRound(9).build()));
            assertTrue(e.getMessage().contains("round 9 of job j was never started"), e.getMessage());
        }
    }

    @Test
    void nodeMetricsArePerJobRoundAndNodeLatestWins() {
        try (Store s = open()) {
            s.recordNodeMetrics("j", 1, "n1", Map.of("dp_epsilon_job", 0.5, "dp_epsilon_overall", 0.7), 1);
            s.recordNodeMetrics("j", 1, "n1", Map.of("dp_epsilon_job", 0.6), 2);
            s.recordNodeMetrics("j", 2, "n1", Map.of("dp_epsilon_job", 0.9), 3);
        }
        try (Store s = open()) {
            assertEquals(Map.of("dp_epsilon_job", 0.6, "dp_epsilon_overall", 0.7), s.nodeMetrics("j", 1, "n1"));
            assertEquals(Map.of("dp_epsilon_job", 0.9), s.nodeMetrics("j", 2, "n1"));
            assertEquals(Map.of(), s.nodeMetrics("j", 2, "n2"));
        }
    }

    @Test
    void aTokenIsRedeemedOnceAndTheCertificateRecordedWithIt() {
        try (Store s = open()) {
            String hash = "aa".repeat(32);
            s.insertEnrollmentToken(new EnrollmentTokenRecord(hash, "hospital-a", CertificateRole.AGENT, 10, 1000,
                    "local-admin", 0, ""));
            assertEquals(1, s.outstandingEnrollmentTokens(999));
            assertEquals(0, s.outstandingEnrollmentTokens(1000), "expired");
            CertificateRecord first = new CertificateRecord("1f", "node-1", "hospital-a", CertificateRole.AGENT,
                    "bb".repeat(32), 20, 2000);
            assertTrue(s.redeemEnrollmentToken(hash, 20, first));
            assertFalse(s.redeemEnrollmentToken(hash, 21, new CertificateRecord("2f", "node-2", "hospital-a",
                    CertificateRole.AGENT, "cc".repeat(32), 21, 2000)), "a spent token enrols nobody else");
            assertEquals(List.of(first), s.certificates());
            EnrollmentTokenRecord t = s.enrollmentToken(hash).orElseThrow();
            assertTrue(t.isUsed());
            assertEquals("node-1", t.usedBy());
            assertEquals(0, s.outstandingEnrollmentTokens(30));
            assertTrue(s.enrollmentToken("dd".repeat(32)).isEmpty());
        }
    }

    @Test
    void concurrentRedemptionsOfOneTokenEnrolExactlyOne() throws Exception {
        try (Store s = open()) {
            String hash = "ee".repeat(32);
            s.insertEnrollmentToken(new EnrollmentTokenRecord(hash, "n", CertificateRole.AGENT, 1, 10_000, "admin", 0, ""));
            List<Callable<Boolean>> tries = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String serial = Integer.toHexString(0x100 + i);
                tries.add(() -> s.redeemEnrollmentToken(hash, 5, new CertificateRecord(serial, "node-" + serial, "n",
                        CertificateRole.AGENT, "", 5, 9000)));
            }
            assertEquals(1, runAll(tries).stream().filter(b -> b).count());
            assertEquals(1, s.certificates().size());
        }
    }

    @Test
    void revocationsAndTheAuditLogSurviveReopen() {
        try (Store s = open()) {
            assertTrue(s.insertRevocation(new RevocationRecord("node-1", 5, "local-admin", "stolen")));
            assertFalse(s.insertRevocation(new RevocationRecord("node-1", 6, "local-admin", "again")));
            long a = s.appendAudit(new AuditRecord(0, 7, "local-admin", "admin", "TrustAdminService/Revoke",
                    "subject_id=node-1", "OK", ""));
            long b = s.appendAudit(new AuditRecord(0, 8, "anonymous", "", "AdminService/CreateJob", "",
                    "UNAUTHENTICATED", "x".repeat(5000)));
            assertTrue(b > a);
        }
        try (Store s = open()) {
            assertEquals(List.of(new RevocationRecord("node-1", 5, "local-admin", "stolen")), s.revocations());
            List<AuditRecord> log = s.auditLog(0, 10);
            assertEquals(2, log.size());
            assertEquals("subject_id=node-1", log.get(0).target());
            assertEquals(1024, log.get(1).detail().length(), "long details are clipped, not refused");
            assertEquals(1, s.auditLog(log.get(0).seq(), 10).size());
            assertEquals(1, s.auditLog(0, 1).size());
        }
    }

    @Test
    void concurrentRevocationsOfOneSubjectRecordOne() throws Exception {
        try (Store s = open()) {
            List<Callable<Boolean>> tries = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                long at = i;
                tries.add(() -> s.insertRevocation(new RevocationRecord("node-9", at, "admin", "r")));
            }
            assertEquals(1, runAll(tries).stream().filter(b -> b).count());
            assertEquals(1, s.revocations().size());
        }
    }

    @Test
    void concurrentAuditAppendsFormOneUnbrokenChain() throws Exception {
        try (Store s = open()) {
            List<Callable<Long>> appends = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                appends.add(() -> s.appendAudit(new AuditRecord(0, n, "admin-" + n, "admin", "AdminService/ListJobs", "",
                        "OK", "")));
            }
            assertEquals(40, runAll(appends).stream().distinct().count());
            AuditChain.Verification v = new AuditTrail(s, InstantSource.system()).verify();
            assertTrue(v.intact(), v.toString());
            assertEquals(40, v.entries());
        }
    }

    // ---- the audit chain against someone who writes the database directly ----

    @Test
    void anUntouchedLogVerifiesAndEachEntryChainsToTheOneBefore() {
        List<AuditRecord> log = writeEntries(5);
        AuditChain.Verification v = verify();
        assertTrue(v.intact(), v.toString());
        assertEquals(5, v.entries());
        assertEquals(log.get(4).seq(), v.headSeq());
        assertEquals(log.get(4).hash(), v.headHash());
        assertEquals(AuditChain.GENESIS, log.get(0).previousHash());
        for (int i = 1; i < log.size(); i++) {
            assertEquals(log.get(i - 1).hash(), log.get(i).previousHash());
        }
    }

    @Test
    void anEditedRowIsNamed() throws Exception {
        List<AuditRecord> log = writeEntries(5);
        long edited = log.get(2).seq();
        sql("UPDATE audit_log SET actor = 'someone-else' WHERE seq = " + edited);
        AuditChain.Verification v = verify();
        assertEquals(edited, v.firstBreak().orElseThrow().seq());
        assertTrue(v.firstBreak().get().reason().contains("was changed"), v.toString());
        assertEquals(2, v.entries(), "the entries before it are intact");
    }

    @Test
    void aDeletedRowIsNamedByTheGapItLeaves() throws Exception {
        List<AuditRecord> log = writeEntries(5);
        sql("DELETE FROM audit_log WHERE seq = " + log.get(2).seq());
        AuditChain.Verification v = verify();
        assertEquals(log.get(3).seq(), v.firstBreak().orElseThrow().seq());
        assertTrue(v.firstBreak().get().reason().contains("does not follow entry " + log.get(1).seq()), v.toString());
    }

    @Test
    void aRewrittenRowWithARecomputedHashBreaksTheLinkAfterIt() throws Exception {
        List<AuditRecord> log = writeEntries(4);
        AuditRecord target = log.get(1);
        AuditRecord forged = new AuditRecord(target.seq(), target.atUnixMs(), "nobody", target.actorRole(),
                target.action(), target.target(), target.outcome(), target.detail());
        String h = AuditChain.hash(target.previousHash(), target.seq(), forged);
        sql("UPDATE audit_log SET actor = 'nobody', entry_hash = '" + h + "' WHERE seq = " + target.seq());
        AuditChain.Verification v = verify();
        assertEquals(log.get(2).seq(), v.firstBreak().orElseThrow().seq());
        assertTrue(v.firstBreak().get().reason().contains("entry " + target.seq() + " was rewritten"), v.toString());
    }

    @Test
    void aRowInsertedWithoutAHashIsNamed() throws Exception {
        writeEntries(2);
        sql("INSERT INTO audit_log (at_ms, actor, actor_role, action, target, outcome, detail) VALUES"
                + " (9, 'x', 'admin', 'AdminService/CreateJob', '', 'OK', '')");
        AuditChain.Verification v = verify();
        assertTrue(v.firstBreak().orElseThrow().reason().contains("no valid hash"), v.toString());
    }

    @Test
    void aStoreMigratedByANewerCoordinatorIsRefused() throws Exception {
        open().close();
        sql("INSERT INTO \"flyway_schema_history\" (\"installed_rank\", \"version\", \"description\", \"type\","
                + " \"script\", \"installed_by\", \"execution_time\", \"success\") VALUES (99, '99', 'from the future',"
                + " 'SQL', 'V99__from_the_future.sql', 'test', 0, TRUE)");
        StoreException e = assertThrows(StoreException.class, this::open);
        assertTrue(e.getMessage().contains("schema (version 99) is newer than this coordinator's (7)"), e.getMessage());
    }

    @Test
    void aClosedStoreRefusesCallsByName() {
        Store s = open();
        assertTrue(s.available());
        s.close();
        assertFalse(s.available());
        StoreException e = assertThrows(StoreException.class, s::jobs);
        assertTrue(e.getMessage().contains("store is closed; cannot list jobs"), e.getMessage());
    }

    private List<AuditRecord> writeEntries(int n) {
        try (Store s = open()) {
            AuditTrail trail = new AuditTrail(s, InstantSource.system());
            for (int i = 0; i < n; i++) {
                trail.record("local-admin", "admin", "TrustAdminService/Revoke", "subject_id=node-" + i,
                        i % 2 == 0 ? Status.OK : Status.NOT_FOUND.withDescription("no certificate — ünïcode"));
            }
            return s.auditLog(0, 100);
        }
    }

    private AuditChain.Verification verify() {
        try (Store s = open()) {
            return new AuditTrail(s, InstantSource.system()).verify();
        }
    }

    private static <T> List<T> runAll(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<T> out = new ArrayList<>();
            for (Future<T> f : pool.invokeAll(tasks)) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- the active coordinator's lease ----

    private static final String ACTIVE = LeaseStore.ACTIVE_COORDINATOR;

    private static RoundSummary running(String job, int round) {
        return RoundSummary.newBuilder().setJobId(job).setRound(round).setState(RoundState.ROUND_STATE_RUNNING).build();
    }

    private static Lease awaitLease(Store s, String holder, Duration ttl) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            var l = s.acquireLease(ACTIVE, holder, holder + ":7070", ttl);
            if (l.isPresent()) {
                return l.get();
            }
            Thread.sleep(50);
        }
        throw new AssertionError(holder + " never got the lease");
    }

    @Test
    void aLeaseHasOneHolderAndATakeoverFencesTheOldHoldersWrites() throws Exception {
        try (Store a = open(); Store b = open()) {
            Lease la = a.acquireLease(ACTIVE, "a", "a:7070", Duration.ofMillis(700)).orElseThrow();
            assertEquals(1, la.epoch());
            assertTrue(b.acquireLease(ACTIVE, "b", "b:7070", Duration.ofSeconds(5)).isEmpty(), "a holds it");
            assertEquals("a:7070", b.lease(ACTIVE).orElseThrow().holderAddress());
            a.fenceWith(la);
            a.insertJob(job("jf", JobState.JOB_STATE_RUNNING), new AdapterVersion("jf", 0, SHA0, 10, 1000));
            a.insertRound(running("jf", 1));

            // a stops renewing (paused): its lease lapses and b takes over with a higher epoch.
            Lease lb = awaitLease(b, "b", Duration.ofSeconds(30));
            assertEquals(2, lb.epoch());
            b.fenceWith(lb);
            assertThrows(StoreException.Fenced.class, () -> a.completeRound(running("jf", 1).toBuilder()
                    .setState(RoundState.ROUND_STATE_COMPLETED).setAdapterVersion(1).build(),
                    new AdapterVersion("jf", 1, SHA1, 12, 2000)), "the old holder cannot publish");
            assertThrows(StoreException.Fenced.class, () -> a.setJobState("jf", JobState.JOB_STATE_FAILED, "x"));
            assertThrows(StoreException.Fenced.class, () -> a.insertRound(running("jf", 2)));
            assertFalse(a.renewLease(la, Duration.ofSeconds(5)), "nor renew what it lost");
            a.releaseLease(la); // a no-op now
            assertEquals("b", a.lease(ACTIVE).orElseThrow().holder());
            assertEquals(0, b.job("jf").orElseThrow().completedRounds(), "nothing the old holder tried was written");
            assertEquals(JobState.JOB_STATE_RUNNING, b.job("jf").orElseThrow().state());
            assertEquals(1, b.lastRound("jf"));

            assertTrue(b.renewLease(lb, Duration.ofSeconds(30)));
            assertEquals(1, b.abortRunningRounds("coordinator restarted", 3000), "the new holder writes");
            b.releaseLease(lb);
            Lease again = a.acquireLease(ACTIVE, "a", "a:7070", Duration.ofSeconds(30)).orElseThrow();
            assertEquals(3, again.epoch(), "a released lease is free at once, with the next epoch");
        }
    }

    @Test
    void aRestartedHolderTakesItsOwnLeaseBackAtOnceWithANewEpoch() {
        try (Store s = open()) {
            Lease first = s.acquireLease(ACTIVE, "a", "a:7070", Duration.ofMinutes(5)).orElseThrow();
            Lease second = s.acquireLease(ACTIVE, "a", "a:7070", Duration.ofMinutes(5)).orElseThrow();
            assertEquals(first.epoch() + 1, second.epoch(), "its paused old self must be fenced too");
            s.fenceWith(first);
            assertThrows(StoreException.Fenced.class, () -> s.setJobState("none", JobState.JOB_STATE_FAILED, ""));
            s.fenceWith(second);
            s.setJobState("none", JobState.JOB_STATE_FAILED, ""); // the current holding writes
        }
    }

    @Test
    void racingStandbysGetOneLease() throws Exception {
        List<Store> stores = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int i = 0; i < 4; i++) {
                stores.add(open());
            }
            List<Future<Boolean>> tries = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Store s = stores.get(i);
                String holder = "c" + i;
                tries.add(pool.submit(() -> s.acquireLease(ACTIVE, holder, holder + ":7070", Duration.ofMinutes(1))
                        .isPresent()));
            }
            int won = 0;
            for (Future<Boolean> t : tries) {
                won += t.get() ? 1 : 0;
            }
            assertEquals(1, won);
            assertEquals(1, stores.get(0).lease(ACTIVE).orElseThrow().epoch());
        } finally {
            pool.shutdownNow();
            stores.forEach(Store::close);
        }
    }
}
