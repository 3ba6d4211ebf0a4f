package io.fedlora.deploy.bench;

import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraLayouts.LlamaDims;
import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import io.fedlora.coordinator.store.AdapterVersion;
import io.fedlora.coordinator.store.NodeRecord;
import io.fedlora.coordinator.store.Store;
import io.fedlora.coordinator.web.DashboardClient;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobState;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.StageTiming;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrainingConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How fast the dashboard answers with a big federation's history behind it: a real coordinator
 * (HTTPS dashboard, H2 store) holding {@code nodes} registered nodes and a job with {@code rounds}
 * completed rounds, and a signed-in client timing {@code GET /metrics}, the job page's API call
 * and the node list, against {@code GET /healthz} (no store work) measured in the same run.
 */
public final class DashboardBenchmark {

    public record Settings(int nodes, int rounds, int warmup, int requests) {
        public Settings {
            if (nodes < 1 || rounds < 1 || warmup < 0 || requests < 5) {
                throw new IllegalArgumentException("need >= 1 node, >= 1 round, >= 0 warm-up and >= 5 requests");
            }
        }
    }

    /** Latencies of one endpoint, in milliseconds. */
    public record Latency(String path, double p50, double p95, double max) {}

    private static final String MODEL_SHA = "ab".repeat(32);

    private DashboardBenchmark() {}

    public static List<Latency> run(Settings s, PrintStream progress) throws Exception {
        Path dir = Files.createTempDirectory("fedlora-bench-dashboard");
        try (CoordinatorServer server = CoordinatorServer.start(CoordinatorConfig.builder(dir).host("127.0.0.1")
                .port(0).build())) {
            progress.printf(Locale.ROOT, "making the state: %d nodes, a job with %d rounds%n", s.nodes(), s.rounds());
            String job = populate(server, s);
            DashboardClient client = new DashboardClient(server.dashboardUrl().orElseThrow(),
                    server.caCertificateFile().orElseThrow());
            int signIn = client.signIn(server.dashboardLoginLink("bench", CertificateRole.VIEWER, Duration.ofMinutes(5)))
                    .statusCode();
            if (signIn != 200) {
                throw new IllegalStateException("sign-in answered " + signIn);
            }
            // The state is what the figures claim: every round on the job page, every node in the list.
            int shownRounds = new io.vertx.core.json.JsonObject(client.get("/api/v1/jobs/" + job).body())
                    .getJsonArray("rounds").size();
            int shownNodes = new io.vertx.core.json.JsonObject(client.get("/api/v1/nodes").body())
                    .getJsonArray("nodes").size();
            if (shownRounds != s.rounds() || shownNodes != s.nodes()) {
                throw new IllegalStateException("the dashboard shows " + shownRounds + " rounds and " + shownNodes
                        + " nodes, expected " + s.rounds() + " and " + s.nodes());
            }
            Map<String, long[]> nanos = new LinkedHashMap<>();
            for (String path : List.of("/healthz", "/metrics", "/api/v1/jobs/" + job, "/api/v1/nodes")) {
                nanos.put(path, new long[s.requests()]);
            }
            int total = s.warmup() + s.requests();
            for (int i = 0; i < total; i++) {
                // Interleaved, so a noisy moment on this machine hits every endpoint alike.
                for (var e : nanos.entrySet()) {
                    long t0 = System.nanoTime();
                    int status = client.get(e.getKey()).statusCode();
                    long took = System.nanoTime() - t0;
                    if (status != 200) {
                        throw new IllegalStateException("GET " + e.getKey() + " answered " + status);
                    }
                    if (i >= s.warmup()) {
                        e.getValue()[i - s.warmup()] = took;
                    }
                }
                if ((i + 1) % Math.max(1, total / 10) == 0) {
                    progress.printf(Locale.ROOT, "  %d/%d request rounds%s%n", i + 1, total, i < s.warmup() ? " (warm-up)" : "");
                }
            }
            List<Latency> out = new ArrayList<>();
            nanos.forEach((path, v) -> out.add(latency(path.startsWith("/api/v1/jobs/") ? "/api/v1/jobs/{id}" : path, v)));
            return out;
        } finally {
            io.fedlora.client.model.Directories.deleteTree(dir);
        }
    }

    private static String populate(CoordinatorServer server, Settings s) {
        Store store = server.store();
        long now = System.currentTimeMillis();
        for (int i = 0; i < s.nodes(); i++) {
            store.upsertNode(new NodeRecord(String.format("node-%05d", i), "site-" + i, List.of(MODEL_SHA), 1000,
                    i % 10 == 0 ? "cuda" : "cpu", now - i * 1000L));
        }
        String job = server.jobs().create(jobConfig(s.rounds())).jobId();
        // Paused, so no round loop runs: the history is written as a finished run would have left it.
        store.transitionJobState(job, Set.of(JobState.JOB_STATE_CREATED), JobState.JOB_STATE_PAUSED, "");
        for (int r = 1; r <= s.rounds(); r++) {
            List<String> cohort = new ArrayList<>();
            for (int k = 0; k < 10; k++) {
                cohort.add(String.format("node-%05d", (r * 10 + k) % s.nodes()));
            }
            long start = now - (s.rounds() - r + 1) * 60_000L;
            RoundSummary running = RoundSummary.newBuilder().setJobId(job).setRound(r).setState(RoundState.ROUND_STATE_RUNNING)
                    .addAllSelectedNodes(cohort).setStartedUnixMs(start).build();
            store.insertRound(running);
            String sha = String.format("%064x", r);
            RoundSummary done = running.toBuilder().setState(RoundState.ROUND_STATE_COMPLETED)
                    .addAllContributingNodes(cohort.subList(0, 9)).setTotalExamples(9000).setTrainLoss(2.0 / r)
                    .setMeanTrainSeconds(30).setEndedUnixMs(start + 40_000).setAggregateSeconds(0.2)
                    .setAdapterVersion(r).setAdapterSha256(sha).setSecureAggregation(true)
                    .addStages(StageTiming.newBuilder().setStage("advertise_keys").setDurationMs(900)
                            .addDroppedNodes(cohort.get(9)))
                    .addStages(StageTiming.newBuilder().setStage("masked_input").setDurationMs(35_000)).build();
            store.completeRound(done, new AdapterVersion(job, r, sha, 64_000, start + 40_000, ""));
        }
        return job;
    }

    private static JobConfig jobConfig(int rounds) {
        return JobConfig.newBuilder().setName("bench").setBaseModelId("bench").setBaseModelSha256(MODEL_SHA)
                .setLora(LoraConfig.newBuilder().setRank(4).setAlpha(8).addTargetModules("q_proj")
                        .addTargetModules("v_proj").setAggregationMode(AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A)
                        .setASeed(1))
                .setTraining(TrainingConfig.newBuilder().setLocalSteps(1).setBatchSize(4).setLearningRate(1e-3)
                        .setMaxSeqLen(16).setSeed(1))
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.25).setCorruptFraction(0)
                        .setClipNorm(10).setMaxWeight(1000))
                .setRounds(rounds).setClientsPerRound(10).setMinClients(5).setRoundDeadlineSeconds(600)
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(LoraLayouts.llama(new LlamaDims(2, 16, 32, 2, 2, 8), 4, List.of("q_proj", "v_proj")))
                .build();
    }

    private static Latency latency(String path, long[] nanos) {
        long[] v = nanos.clone();
        Arrays.sort(v);
        return new Latency(path, v[v.length / 2] / 1e6, v[(int) Math.ceil(v.length * 0.95) - 1] / 1e6, v[v.length - 1] / 1e6);
    }

    public static void printTable(List<Latency> results, Settings s, PrintStream out) {
        double base = results.get(0).p50();
        out.printf(Locale.ROOT, "%d registered nodes, a job with %d rounds; %d requests each after %d warm-up%n",
                s.nodes(), s.rounds(), s.requests(), s.warmup());
        out.printf(Locale.ROOT, "%-20s %9s %9s %9s %12s%n", "GET", "p50 ms", "p95 ms", "max ms", "p50/healthz");
        for (Latency l : results) {
            out.printf(Locale.ROOT, "%-20s %9.2f %9.2f %9.2f %12.2f%n", l.path(), l.p50(), l.p95(), l.max(), l.p50() / base);
        }
    }

    public static String toJson(List<Latency> results, Settings s) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "{\"nodes\":%d,\"rounds\":%d,\"requests\":%d,\"warmup\":%d,\"latencies\":[", s.nodes(), s.rounds(),
                s.requests(), s.warmup()));
        for (int i = 0; i < results.size(); i++) {
            Latency l = results.get(i);
            b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"path\":\"%s\",\"p50Ms\":%.3f,\"p95Ms\":%.3f,\"maxMs\":%.3f}", l.path(), l.p50(), l.p95(), l.max()));
        }
        return b.append("]}").toString();
    }
}
