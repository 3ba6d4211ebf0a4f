package io.fedlora.deploy.bench;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraSites;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.adapter.Sha256;
import io.fedlora.deploy.jobs.AdapterDownload;
import io.fedlora.deploy.local.LocalFederation;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.StageTiming;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrainingConfig;
import io.fedlora.rounds.SecureRoundSetup;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One coordinator process and {@code clients} real agents in this JVM (stand-in trainers, real gRPC
 * with mutual TLS, SecAgg+ on): enrolment and connection timed apart from the rounds; per round the
 * coordinator's stage times; over the rounds the coordinator's CPU seconds, peak heap (its GC log and
 * /metrics), peak RSS (/proc) and gRPC bytes per client (its /metrics counters); and whether each
 * published adapter moved by exactly the mean of the deltas the stand-ins produced.
 */
public final class FederationBenchmark {

    /**
     * @param warmupRounds rounds of a first job, reported but not measured: both JVMs' JIT warms up there
     * @param coordinatorHeap the coordinator's -Xmx (e.g. "2g"): a round that completes under it shows the
     *     heap stayed under it
     */
    public record Settings(int clients, int params, int warmupRounds, int rounds, long seed, String coordinatorHeap,
            int enrolThreads, Duration stageTimeout) {
        public Settings {
            List<String> p = new ArrayList<>();
            if (clients < SecureRoundSetup.MIN_COHORT) {
                p.add("clients: SecAgg+ needs >= " + SecureRoundSetup.MIN_COHORT + ", got " + clients);
            }
            if (params < 2) {
                p.add("params: must be >= 2 (one LoRA pair of rank 1), got " + params);
            }
            if (warmupRounds < 0) {
                p.add("warmupRounds: must be >= 0, got " + warmupRounds);
            }
            if (rounds < 1) {
                p.add("rounds: must be >= 1, got " + rounds);
            }
            if (enrolThreads < 1) {
                p.add("enrolThreads: must be >= 1, got " + enrolThreads);
            }
            if (coordinatorHeap == null || !coordinatorHeap.matches("\\d+[kKmMgG]?")) {
                p.add("coordinatorHeap: a JVM size such as 2g, got " + coordinatorHeap);
            }
            if (!p.isEmpty()) {
                throw new IllegalArgumentException(String.join("; ", p));
            }
        }

        /** At most this many selected nodes may drop without aborting: a tenth (SecAgg+'s delta). */
        int minClients() {
            return Math.max(SecureRoundSetup.MIN_COHORT, clients - clients / 10);
        }
    }

    // The jobs' initial adapters differ, so the measured job's first download is not an agent's cache hit.
    private static final long WARMUP_A_SEED = 11;
    private static final long MEASURED_A_SEED = 12;
    private static final Pattern DASHBOARD = Pattern.compile("dashboard at (\\S+)");

    private FederationBenchmark() {}

    public static FederationResult run(Settings s, PrintStream progress) throws Exception {
        Path dir = Files.createTempDirectory("fedlora-bench-federation");
        try {
            return run(s, dir, progress);
        } finally {
            io.fedlora.client.model.Directories.deleteTree(dir);
        }
    }

    /** Runs in {@code dir} and leaves it there (coordinator log and GC log under {@code logs/}). */
    public static FederationResult run(Settings s, Path dir, PrintStream progress) throws Exception {
        Path gcLog = dir.resolve("logs/coordinator-gc.log");
        Files.createDirectories(gcLog.getParent());
        List<String> jvm = List.of("-Xmx" + s.coordinatorHeap(), "-Xlog:gc:file=" + gcLog);
        progress.printf(Locale.ROOT, "starting the coordinator (-Xmx%s, SerialGC, load limits raised)%n",
                s.coordinatorHeap());
        try (LocalFederation fed = LocalFederation.startCoordinator(dir, jvm, coordinatorArgs(s))) {
            ProcessProbe coordinator = new ProcessProbe(fed.coordinator().pid());
            CoordinatorScrape metrics = new CoordinatorScrape(dashboardUrl(fed), fed.caCertificate());
            GcLogHeap heap = new GcLogHeap(gcLog);

            double cpu0 = coordinator.cpuSeconds();
            long t0 = System.nanoTime();
            progress.printf(Locale.ROOT, "enrolling %d agents (token + CSR each, %d at a time)%n", s.clients(),
                    s.enrolThreads());
            try (BenchAgents agents = BenchAgents.enrolAndStart(fed, dir.resolve("agents"), s.clients(), s.seed(),
                    s.enrolThreads(), progress)) {
                double enrolSeconds = secondsSince(t0);
                if (!agents.awaitAllConnected(Duration.ofMinutes(5))) {
                    throw new IllegalStateException("only " + agents.connected() + " of " + s.clients()
                            + " agents connected within 5 minutes");
                }
                double connectSeconds = secondsSince(t0) - enrolSeconds;
                double enrolCpu = coordinator.cpuSeconds() - cpu0;
                progress.printf(Locale.ROOT, "connected: %d agents (enrolment %.1f s, connecting %.1f s more)%n",
                        s.clients(), enrolSeconds, connectSeconds);
                System.gc(); // this JVM's enrolment garbage should not be collected during the round
                Thread.sleep(500);

                ManagedChannel adminChannel = fed.openAdminChannel();
                try {
                    var admin = AdminServiceGrpc.newBlockingStub(adminChannel);
                    List<FederationResult.Round> warmup = List.of();
                    if (s.warmupRounds() > 0) {
                        progress.printf(Locale.ROOT, "warm-up job: %d round(s), not measured%n", s.warmupRounds());
                        Job w = runJob(admin, s, s.warmupRounds(), WARMUP_A_SEED, metrics, agents, progress);
                        warmup = checkRounds(admin, w, agents, s);
                    }
                    progress.printf(Locale.ROOT, "measured job: %d round(s)%n", s.rounds());
                    int gcMark = heap.mark();
                    boolean rssReset = coordinator.resetPeakRss();
                    CoordinatorScrape.Sample before = metrics.sample();
                    double cpuRounds0 = coordinator.cpuSeconds();
                    double benchCpu0 = ownCpuSeconds();
                    long r0 = System.nanoTime();
                    Job job = runJob(admin, s, s.rounds(), MEASURED_A_SEED, metrics, agents, progress);
                    double roundsWall = secondsSince(r0);
                    double roundsCpu = coordinator.cpuSeconds() - cpuRounds0;
                    double benchCpu = ownCpuSeconds() - benchCpu0;
                    double peakRss = coordinator.peakRssMb();
                    CoordinatorScrape.Sample after = metrics.sample();
                    GcLogHeap.Peaks gc = heap.peaksSince(gcMark);
                    double sampledHeap = Math.max(after.heapUsedMb(), lastSampledHeapMb);

                    List<FederationResult.Round> rounds = checkRounds(admin, job, agents, s);
                    // Aborted rounds moved bytes too: per client-round over every round of the job.
                    double clientRounds = rounds.stream().mapToInt(FederationResult.Round::selected).sum();
                    return new FederationResult(s, enrolSeconds, connectSeconds, enrolCpu, warmup, rounds, roundsWall,
                            roundsCpu, benchCpu, Math.max(gc.usedMb(), sampledHeap),
                            gc.liveMb(), gc.committedMb(), gc.collections(), peakRss, rssReset,
                            (after.receivedBytes() - before.receivedBytes()) / clientRounds,
                            (after.sentBytes() - before.sentBytes()) / clientRounds,
                            ManagementFactory.getThreadMXBean().getPeakThreadCount(),
                            Runtime.getRuntime().availableProcessors(),
                            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                } finally {
                    adminChannel.shutdownNow();
                }
            }
        }
    }

    /** Creates and starts a job of {@code rounds} rounds and waits for its end. */
    private static Job runJob(AdminServiceGrpc.AdminServiceBlockingStub admin, Settings s, int rounds, long aSeed,
            CoordinatorScrape metrics, BenchAgents agents, PrintStream progress) throws Exception {
        Job job = admin.createJob(CreateJobRequest.newBuilder().setConfig(jobConfig(s, rounds, aSeed)).build());
        admin.startJob(JobRef.newBuilder().setJobId(job.getJobId()).build());
        lastSampledHeapMb = awaitJob(admin, job.getJobId(), rounds, metrics, agents, s, progress);
        return admin.getJob(JobRef.newBuilder().setJobId(job.getJobId()).build());
    }

    /** The most heap /metrics showed during the last job (one benchmark runs at a time per JVM). */
    private static volatile double lastSampledHeapMb;

    private static List<FederationResult.Round> checkRounds(AdminServiceGrpc.AdminServiceBlockingStub admin, Job job,
            BenchAgents agents, Settings s) throws Exception {
        List<FederationResult.Round> out = new ArrayList<>();
        for (RoundSummary r : admin.listRounds(JobRef.newBuilder().setJobId(job.getJobId()).build()).getRoundsList()) {
            out.add(check(admin, job, r, agents, s));
        }
        return out;
    }

    private static List<String> coordinatorArgs(Settings s) {
        // Enrolling N nodes is N token calls by one admin plus N anonymous Enroll calls from one address,
        // far above the per-client defaults meant for a real site; nothing else is changed.
        String many = Integer.toString(Math.max(1000, 4 * s.clients()));
        return List.of("--dashboard-port", "0",
                "--max-calls-per-second", many, "--max-call-burst", many,
                "--max-enroll-calls-per-second", many, "--max-enroll-burst", many,
                "--max-enrollment-tokens", Integer.toString(s.clients() + 16));
    }

    /** The coordinator prints its dashboard's URL once it is bound, after the listening line. */
    private static String dashboardUrl(LocalFederation fed) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(fed.coordinator().log())) {
                for (String line : Files.readAllLines(fed.coordinator().log())) {
                    Matcher m = DASHBOARD.matcher(line);
                    if (m.find()) {
                        return m.group(1);
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the coordinator printed no dashboard URL; see " + fed.coordinator().log());
    }

    /**
     * A FedAvg job whose adapter is one LoRA pair of rank 1 with exactly {@code params} elements, both
     * factors averaged (so every element is a random input), clip norm 1 and weight 1 per client.
     */
    static JobConfig jobConfig(Settings s, int rounds, long aSeed) {
        int in = s.params() / 2;
        int out = s.params() - in;
        LoraSites sites = new LoraSites("bench", 1, List.of(new LoraSites.Site(LoraTarget.Q_PROJ, in, out)));
        return JobConfig.newBuilder().setName("bench-federation").setBaseModelId("bench")
                .setBaseModelSha256(BenchAgents.MODEL_SHA)
                .setLora(LoraConfig.newBuilder().setRank(1).setAlpha(2).addTargetModules("q_proj")
                        .setAggregationMode(AggregationMode.AGGREGATION_MODE_INEXACT_BOTH).setASeed(aSeed))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(1).setBatchSize(1).setLearningRate(1e-3)
                        .setMaxSeqLen(16).setSeed(1))
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.1).setCorruptFraction(0)
                        .setClipNorm(1).setMaxWeight(1).setStageTimeoutSeconds((int) s.stageTimeout().toSeconds()))
                .setRounds(rounds).setClientsPerRound(s.clients()).setMinClients(s.minClients())
                .setRoundDeadlineSeconds((int) Math.max(600, 4 * s.stageTimeout().toSeconds()))
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(LoraLayouts.of(sites, 1, List.of("q_proj")))
                .build();
    }

    /** Waits for the job to end, printing progress each second; returns the largest heap /metrics showed. */
    private static double awaitJob(AdminServiceGrpc.AdminServiceBlockingStub admin, String jobId, int rounds,
            CoordinatorScrape metrics, BenchAgents agents, Settings s, PrintStream progress) throws Exception {
        long t0 = System.nanoTime();
        Map<String, Long> seenStages = new HashMap<>();
        double heap = 0;
        long end = t0 + Duration.ofSeconds(2L * rounds * Math.max(600L, 4 * s.stageTimeout().toSeconds())).toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(1000);
            CoordinatorScrape.Sample now;
            try {
                now = metrics.sample();
            } catch (Exception e) {
                // A busy machine can time out one progress scrape; the job goes on, and so does the wait.
                progress.printf(Locale.ROOT, "  %6.1f s  (no /metrics sample: %s)%n", secondsSince(t0), e.getMessage());
                continue;
            }
            heap = Math.max(heap, now.heapUsedMb());
            for (var e : now.stagesClosed().entrySet()) {
                if (e.getValue() > seenStages.getOrDefault(e.getKey(), 0L)) {
                    progress.printf(Locale.ROOT, "  %6.1f s  stage %s closed%n", secondsSince(t0), e.getKey());
                }
            }
            seenStages = now.stagesClosed();
            progress.printf(Locale.ROOT, "  %6.1f s  trained %d, masked %d (so far, all jobs); coordinator heap %.0f MiB%n",
                    secondsSince(t0), agents.trained.get(), agents.masked.get(), now.heapUsedMb());
            JobState state = admin.getJob(JobRef.newBuilder().setJobId(jobId).build()).getState();
            if (state == JobState.JOB_STATE_COMPLETED || state == JobState.JOB_STATE_FAILED
                    || state == JobState.JOB_STATE_CANCELLED) {
                progress.printf(Locale.ROOT, "job %s after %.1f s%n", state, secondsSince(t0));
                return heap;
            }
        }
        throw new IllegalStateException("the job did not end in time");
    }

    /** The round's figures, and whether the published adapter moved by the mean of its contributors' deltas. */
    private static FederationResult.Round check(AdminServiceGrpc.AdminServiceBlockingStub admin, Job job,
            RoundSummary r, BenchAgents agents, Settings s) throws Exception {
        List<FederationResult.Stage> stages = new ArrayList<>();
        for (StageTiming t : r.getStagesList()) {
            stages.add(new FederationResult.Stage(t.getStage(), t.getDurationMs(), t.getDroppedNodesCount()));
        }
        double roundSeconds = (r.getEndedUnixMs() - r.getStartedUnixMs()) / 1000.0;
        if (r.getState() != RoundState.ROUND_STATE_COMPLETED) {
            return new FederationResult.Round(r.getRound(), r.getState().name(), r.getAbortReason(), roundSeconds,
                    r.getAggregateSeconds(), stages, r.getSelectedNodesCount(), r.getContributingNodesCount(),
                    Double.NaN, Double.NaN, null, false);
        }
        FlatAdapter before = download(admin, job, r.getAdapterVersion() - 1);
        FlatAdapter after = download(admin, job, r.getAdapterVersion());
        int p = s.params();
        double[] mean = new double[p];
        Map<String, Long> seeds = agents.seedsByNodeId();
        for (String node : r.getContributingNodesList()) {
            float[] d = RandomDeltaTrainer.delta(seeds.get(node), r.getRound(), p);
            for (int i = 0; i < p; i++) {
                mean[i] += d[i];
            }
        }
        int n = r.getContributingNodesCount();
        // Each client's stochastic rounding moves its value by under one step; the float32 adapter adds half an ulp.
        double step = 1 / io.fedlora.crypto.encoding.SecureUpdateFormat.finest(p, 1, r.getSelectedNodesCount(), 1)
                .parameters().scale();
        double maxError = 0;
        boolean within = true;
        for (int i = 0; i < p; i++) {
            double b = before.values()[i];
            double a = after.values()[i];
            double err = Math.abs((a - b) - mean[i] / n);
            maxError = Math.max(maxError, err);
            within &= err <= step + Math.ulp((float) a) + Math.ulp((float) b);
        }
        Boolean sumExact = null;
        if (agents.encodedCount(job.getJobId(), r.getRound()) == n) {
            int[] sum = agents.encodedSum(job.getJobId(), r.getRound());
            ByteBuffer le = ByteBuffer.allocate(sum.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            le.asIntBuffer().put(sum);
            sumExact = Sha256.hex(le.array()).equals(r.getAggregateSumSha256());
        }
        boolean correct = within && r.getTotalExamples() == n && !Boolean.FALSE.equals(sumExact);
        return new FederationResult.Round(r.getRound(), r.getState().name(), "", roundSeconds, r.getAggregateSeconds(),
                stages, r.getSelectedNodesCount(), n, maxError, step, sumExact, correct);
    }

    private static FlatAdapter download(AdminServiceGrpc.AdminServiceBlockingStub admin, Job job, int version)
            throws Exception {
        return AdapterDownload.fetch(admin, job, DownloadAdapterRequest.newBuilder().setJobId(job.getJobId())
                .setVersion(version).build());
    }

    private static double ownCpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }
}
