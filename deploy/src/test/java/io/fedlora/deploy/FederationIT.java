package io.fedlora.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.deploy.jobs.AdapterDownload;
import io.fedlora.deploy.local.JavaProcess;
import io.fedlora.deploy.local.LocalFederation;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator and four client JVMs from the packaged distribution, on loopback, training the
 * bundled tiny model with secure aggregation: two rounds complete; in each, the sum the coordinator
 * unmasked is exactly the sum of the encoded updates the clients themselves recorded, and the
 * published adapter moves by their example-weighted mean (up to the encoding's rounding); a client
 * killed in the middle of round 2 is unmasked out and the round completes with the other three.
 */
@Timeout(300)
class FederationIT {

    private static final Path MODEL = Path.of("models/fedlora-tiny").toAbsolutePath();
    private static final int CLIENTS = 4;

    @TempDir
    Path work;

    private LocalFederation federation;
    private ManagedChannel channel;

    @BeforeEach
    void useThePackagedDistribution() {
        PackagedFederation.useThePackagedDistribution();
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            CoordinatorAddress.closeQuietly(channel);
        }
        if (federation != null) {
            federation.close();
        }
    }

    @Test
    void twoRoundsAggregateExactlyAndSurviveAClientKilledMidRound() throws Exception {
        // Different slice sizes so the example weights differ.
        List<Path> data = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            Path f = work.resolve("data/client-" + (i + 1) + ".jsonl");
            DemoTask.Files written = DemoTask.write(work.resolve("gen-" + i), CLIENTS, 40 + 30 * i, 10, 99);
            Files.createDirectories(f.getParent());
            Files.copy(written.clientSlices().get(i), f);
            data.add(f);
        }
        federation = LocalFederation.startCoordinator(work, List.of());
        List<JavaProcess> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(federation.startClient("client-" + (i + 1), MODEL, data.get(i),
                    List.of("--record-updates", recordDir(i).toString())));
        }
        channel = federation.openAdminChannel();
        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
        awaitConnected(admin, CLIENTS);

        Job job = admin.createJob(CreateJobRequest.newBuilder().setConfig(jobConfig()).build());
        JobRef ref = JobRef.newBuilder().setJobId(job.getJobId()).build();
        admin.startJob(ref);

        Iterator<RoundSummary> rounds = admin.watchJob(ref);
        RoundSummary first = nextCompleted(rounds);
        assertEquals(CLIENTS, first.getContributingNodesCount(), "all four clients contribute to round 1");
        assertTrue(first.getSecureAggregation());
        assertAggregateIsWeightedMean(admin, job, first, List.of(0, 1, 2, 3));

        // Round 2 starts right away; kill client 4 once it is training, as a crash would.
        JavaProcess victim = clients.get(3);
        awaitLogLine(victim, "round " + (first.getRound() + 1) + ": training from adapter version");
        victim.kill();

        RoundSummary second = nextCompleted(rounds);
        assertEquals(3, second.getContributingNodesCount(), "the round completes with the three survivors");
        assertEquals(CLIENTS, second.getSelectedNodesCount());
        assertAggregateIsWeightedMean(admin, job, second, List.of(0, 1, 2));

        Job done = admin.getJob(ref);
        assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
        assertEquals(2, done.getCompletedRounds());

        assertNoIndividualUpdateIsStoredOrLogged(job, List.of(first.getRound(), second.getRound()));
    }

    /**
     * The coordinator keeps aggregates only: no 64-byte run of any client's individual update, raw or
     * encoded for aggregation, appears in its data directory (database, blobs) or in its log.
     */
    private void assertNoIndividualUpdateIsStoredOrLogged(Job job, List<Integer> rounds) throws Exception {
        List<byte[]> haystacks = new ArrayList<>();
        try (var files = Files.walk(work.resolve("coordinator"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                haystacks.add(Files.readAllBytes(f));
            }
        }
        haystacks.add(Files.readAllBytes(work.resolve("logs/coordinator.log")));
        assertTrue(haystacks.size() > 2, "the coordinator stored something");
        int checked = 0;
        for (int c = 0; c < CLIENTS; c++) {
            for (int round : rounds) {
              for (String ext : List.of(".f32", ".enc")) {
                Path f = recordDir(c).resolve(job.getJobId() + "-round" + round + ext);
                if (!Files.exists(f)) {
                    continue;
                }
                byte[] update = Files.readAllBytes(f);
                for (int at : nonZeroWindows(update, 64, 4)) {
                    byte[] needle = java.util.Arrays.copyOfRange(update, at, at + 64);
                    for (byte[] h : haystacks) {
                        assertTrue(indexOf(h, needle) < 0, "client " + (c + 1) + "'s round " + round
                                + " update appears in the coordinator's files or log");
                    }
                    checked++;
                }
              }
            }
        }
        assertTrue(checked >= 10, "checked " + checked + " windows");
    }

    /** Offsets of up to {@code count} windows of {@code len} bytes with no zero float in them (B's trained entries). */
    private static List<Integer> nonZeroWindows(byte[] data, int len, int count) {
        List<Integer> out = new ArrayList<>();
        for (int at = data.length - len; at >= 0 && out.size() < count; at -= len) {
            boolean allNonZero = true;
            for (int i = at; i < at + len; i += 4) {
                allNonZero &= (data[i] | data[i + 1] | data[i + 2] | data[i + 3]) != 0;
            }
            if (allNonZero) {
                out.add(at);
            }
        }
        return out;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private Path recordDir(int client) {
        return work.resolve("recorded/client-" + (client + 1));
    }

    private static JobConfig jobConfig() throws Exception {
        return PackagedFederation.secureJob("e2e", 2, CLIENTS, 30, 60);
    }

    /**
     * The unmasked sum's sha256 equals that of Σ encodedᵢ (mod 2^32) over the contributors' own
     * recorded encodings, and adapter(round) - adapter(round - 1) == Σ nᵢ·Δᵢ / Σ nᵢ over their
     * recorded updates, up to the fixed-point encoding's rounding.
     */
    private void assertAggregateIsWeightedMean(AdminServiceGrpc.AdminServiceBlockingStub admin, Job job,
            RoundSummary round, List<Integer> contributors) throws Exception {
        int version = round.getAdapterVersion();
        float[] before = download(admin, job, version - 1);
        float[] after = download(admin, job, version);
        double[] expected = new double[before.length];
        double total = 0;
        int[] sum = null;
        for (int c : contributors) {
            String stem = job.getJobId() + "-round" + round.getRound();
            java.nio.IntBuffer enc = java.nio.ByteBuffer.wrap(Files.readAllBytes(recordDir(c).resolve(stem + ".enc")))
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            sum = sum == null ? new int[enc.remaining()] : sum;
            for (int i = 0; i < sum.length; i++) {
                sum[i] += enc.get(i);
            }
            float[] delta = FlatAdapter.fromLittleEndian(Files.readAllBytes(recordDir(c).resolve(stem + ".f32")));
            long n = Long.parseLong(Files.readString(recordDir(c).resolve(stem + ".examples")).trim());
            for (int i = 0; i < delta.length; i++) {
                expected[i] += n * (double) delta[i];
            }
            total += n;
        }
        assertEquals(total, round.getTotalExamples(), 0.0);
        java.nio.ByteBuffer le = java.nio.ByteBuffer.allocate(sum.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        le.asIntBuffer().put(sum);
        assertEquals(io.fedlora.adapter.Sha256.hex(le.array()), round.getAggregateSumSha256(),
                "the coordinator unmasked exactly the sum of the contributors' encoded updates");
        double maxErr = 0;
        double maxDelta = 0;
        for (int i = 0; i < expected.length; i++) {
            double mean = expected[i] / total;
            maxErr = Math.max(maxErr, Math.abs((after[i] - (double) before[i]) - mean));
            maxDelta = Math.max(maxDelta, Math.abs(mean));
        }
        assertTrue(maxDelta > 1e-4, "training moved the adapter");
        // Stochastic rounding of the encoding (scale ~13000 per unit weight here) and float32 storage.
        assertTrue(maxErr < 1e-5, "aggregate differs from the weighted mean by " + maxErr);
    }

    private float[] download(AdminServiceGrpc.AdminServiceBlockingStub admin, Job job, int version) throws Exception {
        return AdapterDownload.fetch(admin, job, DownloadAdapterRequest.newBuilder().setJobId(job.getJobId())
                .setVersion(version).build()).values();
    }

    private static RoundSummary nextCompleted(Iterator<RoundSummary> rounds) {
        while (rounds.hasNext()) {
            RoundSummary r = rounds.next();
            if (r.getState() == RoundState.ROUND_STATE_COMPLETED) {
                return r;
            }
        }
        throw new AssertionError("job ended before another round completed");
    }

    private static void awaitConnected(AdminServiceGrpc.AdminServiceBlockingStub admin, int n) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList().stream()
                .filter(x -> x.getConnected()).count() < n) {
            assertTrue(System.nanoTime() < deadline, "clients did not connect within 120 s");
            Thread.sleep(200);
        }
    }

    private static void awaitLogLine(JavaProcess p, String text) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!Files.exists(p.log()) || !Files.readString(p.log()).contains(text)) {
            assertTrue(System.nanoTime() < deadline, p.name() + " never logged '" + text + "'");
            Thread.sleep(50);
        }
    }
}
