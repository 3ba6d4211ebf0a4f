package io.fedlora.deploy.demo;

import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.PeftAdapterDir;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.JsonlInstructions;
import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.model.BaseQuantization;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.EvalResult;
import io.fedlora.deploy.cli.CoordinatorAddress;
import io.fedlora.deploy.jobs.AdapterDownload;
import io.fedlora.deploy.local.LocalFederation;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.CreateDashboardLoginRequest;
import io.fedlora.proto.v1.CreateJobRequest;
import io.fedlora.proto.v1.DashboardLogin;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.JobRef;
import io.fedlora.proto.v1.ListNodesRequest;
import io.fedlora.proto.v1.RoundState;
import io.fedlora.proto.v1.RoundSummary;
import io.fedlora.proto.v1.Strategy;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.fedlora.rounds.SecureRoundSetup;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The demo: a coordinator and N client processes on loopback fine-tune the bundled tiny model on a
 * task it has not seen, each client holding a non-IID slice; progress per round, then base vs
 * federated held-out exact match. The held-out set is scored in this process; each client also scores
 * its share of it every round ({@code --eval-data}), which is what the dashboard charts.
 */
public final class DemoRunner {

    /** Which privacy a run has. */
    public enum Privacy {
        NONE,
        /** Record-level DP-SGD on each client, with each client's own ledger. */
        RECORD,
        /** Client-level distributed DP: discrete Gaussian noise added by each client inside secure aggregation. */
        CLIENT
    }

    /**
     * What the demo is asked to do.
     *
     * @param privacySetup the larger data, batch and learning rate that DP needs (used by the DP runs
     *     and by the non-private run they are compared with, so only the noise differs)
     * @param privacy the run's privacy (RECORD and CLIENT imply privacySetup)
     * @param baseQuantization how every client (and the scorer) holds the frozen base
     * @param watchDashboard keep a signed-in dashboard client subscribed to the job's live events
     *     throughout, as an open job page would be (to measure what that costs the rounds)
     */
    public record Settings(Path home, Path workDir, int clients, int rounds, boolean privacySetup, Privacy privacy,
            boolean keepRunning, BaseQuantization baseQuantization, boolean watchDashboard) {
        public Settings(Path home, Path workDir, int clients, int rounds, boolean privacySetup, Privacy privacy) {
            this(home, workDir, clients, rounds, privacySetup, privacy, false, BaseQuantization.NONE, false);
        }

        public Settings {
            if (clients < SecureRoundSetup.MIN_COHORT) {
                throw new IllegalArgumentException("--clients must be at least " + SecureRoundSetup.MIN_COHORT
                        + ": every demo round is securely aggregated, and secure aggregation needs cohorts of at least "
                        + SecureRoundSetup.MIN_COHORT + ", got " + clients);
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
            }
            if (privacy != Privacy.NONE && !privacySetup) {
                throw new IllegalArgumentException("a DP run needs the privacy setup");
            }
        }

        boolean recordDp() {
            return privacy == Privacy.RECORD;
        }

        boolean clientDp() {
            return privacy == Privacy.CLIENT;
        }
    }

    private final Settings settings;
    private final PrintStream out;

    public DemoRunner(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    public DemoReport run() throws Exception {
        long start = System.nanoTime();
        Path modelDir = settings.home().resolve("models/fedlora-tiny");
        Path work = settings.workDir();
        deleteTree(work);
        Files.createDirectories(work);
        LlamaConfig modelConfig = LlamaConfig.readDir(modelDir);
        String sha = CheckpointFiles.sha256(modelDir);
        out.printf("fedlora demo: %d clients, %d rounds, base model %s (sha256 %s…%s)%n", settings.clients(),
                settings.rounds(), modelDir, sha.substring(0, 12), settings.baseQuantization() == BaseQuantization.NONE
                        ? "" : ", held as " + settings.baseQuantization().label());
        int perClient = settings.privacySetup() ? RECORD_DP_EXAMPLES_PER_CLIENT : DemoDefaults.EXAMPLES_PER_CLIENT;
        DemoTask.Files data = DemoTask.write(work.resolve("data"), settings.clients(), perClient,
                DemoDefaults.HELD_OUT, DemoDefaults.TASK_SEED);
        List<InstructionExample> heldOut = JsonlInstructions.read(data.heldOut());
        out.printf("task: \"%s\" — each client holds %d examples drawn from its own part of the alphabet (non-IID); "
                + "%d held-out examples%n", heldOut.get(0).instruction(), perClient, heldOut.size());

        JobConfig config = jobConfig(modelConfig, sha);
        try (LocalFederation fed = LocalFederation.startCoordinator(work, List.of());
             DjlLoraTrainer scorer = new DjlLoraTrainer(modelDir, List.of(), settings.baseQuantization())) {
            out.printf("coordinator listening on %s (logs in %s)%n", fed.address(), work.resolve("logs"));
            // Under DP each client also keeps its own ledger with the same budget: it would refuse to overspend.
            List<String> clientArgs = new ArrayList<>(List.of("--base-quantization", settings.baseQuantization().label()));
            if (settings.recordDp()) {
                clientArgs.addAll(List.of("--privacy-budget", Double.toString(RECORD_DP_EPSILON), "--privacy-delta",
                        "" + RECORD_DP_DELTA));
            }
            List<Path> heldOutShares = shareHeldOut(data.heldOut(), settings.clients(), work.resolve("data"));
            for (int i = 0; i < settings.clients(); i++) {
                List<String> args = new ArrayList<>(clientArgs);
                args.addAll(List.of("--eval-data", heldOutShares.get(i).toString()));
                fed.startClient("client-" + (i + 1), modelDir, data.clientSlices().get(i), args);
            }
            ManagedChannel channel = fed.openAdminChannel();
            try {
                AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
                printDashboard(channel);
                awaitClients(admin);
                double alpha = config.getLora().getAlpha();
                FlatAdapter base = FlatAdapter.initial(config.getAdapterLayout(), config.getLora().getASeed());
                EvalResult baseEval = scorer.exactMatch(base, alpha, heldOut);
                out.printf("base model held-out exact match: %.1f%%%n", 100 * baseEval.exactMatch());

                Job job = admin.createJob(CreateJobRequest.newBuilder().setConfig(config).build());
                var sa = config.getSecureAggregation();
                var kt = io.fedlora.rounds.SecureRoundSetup.parameters(settings.clients(), sa.getDropoutFraction(),
                        sa.getCorruptFraction());
                out.printf("secure aggregation: SecAgg+ over the %d-client cohort (each masks with k=%d neighbours, "
                        + "threshold t=%d, up to %.0f%% may drop out); the coordinator only ever sees masked updates%n",
                        settings.clients(), kt.neighbours(), kt.threshold(), 100 * sa.getDropoutFraction());
                if (settings.clientDp()) {
                    printClientDp(config);
                }
                JobRef ref = JobRef.newBuilder().setJobId(job.getJobId()).build();
                DashboardWatcher watcher = settings.watchDashboard()
                        ? DashboardWatcher.start(dashboardLogin(channel, "demo-watcher", "viewer"), fed.caCertificate(),
                                job.getJobId())
                        : null;
                admin.startJob(ref);
                long fedStart = System.nanoTime();
                List<DemoReport.Round> rounds = new ArrayList<>();
                FlatAdapter latest = base;
                out.printf("%-7s %-8s %-11s %-13s %-9s %-9s %-9s %-6s %s%n", "round", "clients", "train loss",
                        settings.clientDp() ? "EM / epsilon" : "held-out EM", "seconds", "training", "other", "ETA", "chart");
                for (Iterator<RoundSummary> it = admin.watchJob(ref); it.hasNext(); ) {
                    RoundSummary r = it.next();
                    if (r.getState() != RoundState.ROUND_STATE_COMPLETED) {
                        out.printf("round %d aborted: %s (it will be rerun)%n", r.getRound(), r.getAbortReason());
                        continue;
                    }
                    latest = AdapterDownload.fetch(admin, job, DownloadAdapterRequest.newBuilder()
                            .setJobId(job.getJobId()).setVersion(r.getAdapterVersion()).build());
                    EvalResult eval = scorer.exactMatch(latest, alpha, heldOut);
                    DemoReport.Round row = DemoReport.Round.of(r, eval.exactMatch());
                    rounds.add(row);
                    double elapsed = (System.nanoTime() - fedStart) / 1e9;
                    double eta = elapsed / rounds.size() * (settings.rounds() - rounds.size());
                    // Under client-level DP the loss never leaves a client; the column shows epsilon spent so far.
                    out.printf("%-7s %-8d %-11s %-13s %-9.1f %-9.1f %-9.1f %-6s %s%n",
                            rounds.size() + "/" + settings.rounds(), row.clients(), Double.isNaN(row.trainLoss()) ? "-"
                                    : String.format("%.4f", row.trainLoss()),
                            String.format("%.1f%%", 100 * row.exactMatch()) + (Double.isNaN(row.epsilon()) ? ""
                                    : String.format(" / %.2f", row.epsilon())), row.seconds(), row.trainSeconds(),
                            row.seconds() - row.trainSeconds(), rounds.size() == settings.rounds() ? "done"
                                    : String.format("%.0f s", eta), bar(row.exactMatch()));
                }
                if (watcher != null) {
                    out.printf("dashboard subscriber: received %s live while the job ran%n", watcher.awaitEnd(30));
                }
                Path adapterDir = work.resolve("adapter");
                PeftAdapterDir.write(adapterDir, latest, config.getLora(), config.getBaseModelId());
                double epsilon = config.getTraining().hasDp() ? io.fedlora.crypto.privacy.PrivacyCli.epsilon(
                        config.getTraining().getDp().getSamplingRate(), config.getTraining().getDp().getNoiseMultiplier(),
                        (long) settings.rounds() * config.getTraining().getLocalSteps(), RECORD_DP_DELTA, "rdp")
                        : settings.clientDp() && !rounds.isEmpty() ? rounds.get(rounds.size() - 1).epsilon()
                        : Double.POSITIVE_INFINITY;
                DemoReport report = new DemoReport(settings.clients(), settings.rounds(), epsilon, baseEval.exactMatch(),
                        rounds.isEmpty() ? baseEval.exactMatch() : rounds.get(rounds.size() - 1).exactMatch(),
                        rounds, (System.nanoTime() - start) / 1e9, adapterDir);
                report.print(out);
                if (settings.keepRunning()) {
                    keepRunning();
                }
                return report;
            } finally {
                CoordinatorAddress.closeQuietly(channel);
            }
        }
    }

    /** How long the demo's sign-in link stays usable: long enough to read the first rounds' output first. */
    static final java.time.Duration SIGN_IN_LINK_TTL = java.time.Duration.ofHours(1);

    /**
     * The dashboard's address and a one-time sign-in link (admin, as the person running the demo is the
     * coordinator's local admin), so that the rounds can be watched in a browser as they run.
     */
    private void printDashboard(ManagedChannel channel) {
        try {
            String link = dashboardLogin(channel, "demo", "admin");
            out.printf("dashboard at %s%n", link.substring(0, link.indexOf("login#")));
            out.printf("sign in (once, within %d min; the certificate is the demo coordinator's own CA): %s%n",
                    SIGN_IN_LINK_TTL.toMinutes(), link);
        } catch (io.grpc.StatusRuntimeException e) {
            out.printf("no dashboard: %s%n", e.getStatus().getDescription());
        }
    }

    private static String dashboardLogin(ManagedChannel channel, String name, String role) {
        DashboardLogin login = TrustAdminServiceGrpc.newBlockingStub(channel).createDashboardLogin(
                CreateDashboardLoginRequest.newBuilder().setName(name).setRole(role)
                        .setTtlSeconds(SIGN_IN_LINK_TTL.toSeconds()).build());
        return login.getUrl();
    }

    /** Leaves the coordinator, the clients and the dashboard up until Ctrl-C (which ends this JVM and them). */
    private void keepRunning() throws InterruptedException {
        out.println("the coordinator and the dashboard stay up (--keep-running): press Ctrl-C to stop");
        out.flush();
        new java.util.concurrent.CountDownLatch(1).await();
    }

    /**
     * Deals the held-out lines round robin into one file per client, so each client scores its share
     * every round and the dashboard shows the cohort's mean (equal shares: the whole set's score).
     */
    static List<Path> shareHeldOut(Path heldOut, int clients, Path dir) throws java.io.IOException {
        List<String> lines = Files.readAllLines(heldOut).stream().filter(l -> !l.isBlank()).toList();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            List<String> share = new ArrayList<>();
            for (int j = i; j < lines.size(); j += clients) {
                share.add(lines.get(j));
            }
            Path f = dir.resolve("held-out-client-" + (i + 1) + ".jsonl");
            Files.write(f, share);
            files.add(f);
        }
        return files;
    }

    /** A 20-cell bar: the held-out metric at a glance, round after round. */
    static String bar(double fraction) {
        int full = (int) Math.round(Math.max(0, Math.min(1, fraction)) * 20);
        return "|" + "#".repeat(full) + ".".repeat(20 - full) + "|";
    }

    /** What the coordinator derives for the first round, shown before training starts. */
    private void printClientDp(JobConfig config) {
        var dp = config.getSecureAggregation().getDistributedDp();
        var coords = io.fedlora.adapter.UpdateCoordinates.of(config.getAdapterLayout(), config.getLora().getAggregationMode());
        var kt = io.fedlora.rounds.SecureRoundSetup.parameters(settings.clients(),
                config.getSecureAggregation().getDropoutFraction(), config.getSecureAggregation().getCorruptFraction());
        int noiseClients = io.fedlora.rounds.SecureRoundSetup.noiseClients(kt, config.getMinClients());
        var p = io.fedlora.crypto.privacy.DistributedDpCalibration.calibrate(
                new io.fedlora.crypto.privacy.DistributedDpCalibration.Target(dp.getTargetEpsilon(), dp.getDelta(),
                        config.getRounds()), coords.count(), dp.getClipNorm(), noiseClients, settings.clients(),
                io.fedlora.crypto.privacy.DistributedDpParameters.MASKED_WORD_BITS);
        out.printf("client-level DP (distributed discrete Gaussian): epsilon <= %.1f at delta %.0e per client over %d rounds;"
                + " each client clips its update (%d lora_B values) to %.2f, rotates, rounds and adds discrete Gaussian"
                + " noise sigma %.3f before masking; calibrated for sums of >= %d clients (published mean noise %.3f per"
                + " value with %d clients)%n", dp.getTargetEpsilon(), dp.getDelta(), config.getRounds(), coords.count(),
                dp.getClipNorm(), p.clientNoiseStddev(), noiseClients, p.clientNoiseStddev() / Math.sqrt(settings.clients()),
                settings.clients());
    }

    /** Record-level DP target of the demo: epsilon 8 at delta 1e-5 over all of a client's steps. */
    static final double RECORD_DP_EPSILON = 8.0;
    static final double RECORD_DP_DELTA = 1e-5;
    /**
     * Per-example clip: most per-example gradient norms sit below 0.5 after the first rounds, so a
     * lower clip cuts the noise (σ·C) more than it biases; measured 90.0% (C=1), 92.0% (C=0.5),
     * 91.0% (C=0.25) held-out exact match at ε = 8.
     */
    static final double RECORD_DP_CLIP = 0.5;
    /** DP noise is per step, its signal grows with the batch: DP needs more data per client. */
    static final int RECORD_DP_EXAMPLES_PER_CLIENT = 2048;
    static final int RECORD_DP_BATCH = 64;
    static final double RECORD_DP_LEARNING_RATE = 2e-2;

    JobConfig jobConfig(LlamaConfig modelConfig, String sha) {
        io.fedlora.proto.v1.TrainingConfig.Builder training = DemoDefaults.training().toBuilder();
        if (settings.privacySetup()) {
            training.setBatchSize(RECORD_DP_BATCH).setLearningRate(RECORD_DP_LEARNING_RATE);
        }
        if (settings.recordDp()) {
            double q = (double) RECORD_DP_BATCH / RECORD_DP_EXAMPLES_PER_CLIENT;
            long steps = (long) settings.rounds() * DemoDefaults.LOCAL_STEPS;
            // The smallest noise that keeps every client within its budget over the whole job.
            double sigma = io.fedlora.crypto.privacy.PrivacyCli.noiseMultiplier(q, steps, RECORD_DP_DELTA,
                    RECORD_DP_EPSILON, "rdp");
            training.getDpBuilder().setNoiseMultiplier(sigma).setClipNorm(RECORD_DP_CLIP).setSamplingRate(q)
                    .setDelta(RECORD_DP_DELTA);
            out.printf("record-level DP-SGD: q=%.4f, noise multiplier %.3f, clip %.1f, %d steps per client: "
                    + "epsilon <= %.1f at delta %.0e%n", q, sigma, RECORD_DP_CLIP, steps, RECORD_DP_EPSILON, RECORD_DP_DELTA);
        }
        io.fedlora.proto.v1.SecureAggregationConfig secure = secureAggregation(modelConfig);
        int minClients = minClients(settings.clients());
        if (settings.clientDp()) {
            // Every client must contribute, so the noise is calibrated for all of them (a round that loses one
            // aborts before anything is unmasked and is rerun: it costs no privacy). The dropout fraction is
            // kept: with it 4 clients form a complete graph, where each client can check that all are in the
            // sum; without it SecAgg+ picks k = 2 and only t = 2 could be guaranteed.
            secure = secure.toBuilder().clearClipNorm().clearMaxWeight()
                    .setDistributedDp(io.fedlora.proto.v1.DistributedDpConfig.newBuilder()
                            .setTargetEpsilon(CLIENT_DP_EPSILON).setDelta(CLIENT_DP_DELTA).setClipNorm(CLIENT_DP_CLIP))
                    .build();
            minClients = settings.clients();
            long dim = LoraLayouts.totalElements(LoraLayouts.of(modelConfig.loraSites(), DemoDefaults.RANK,
                    DemoDefaults.TARGETS));
            if (io.fedlora.rounds.SecureRoundSetup.largestFeasibleCohort(secure, dim, minClients) < minClients) {
                secure = secure.toBuilder().setDropoutFraction(0).build();
            }
        }
        return JobConfig.newBuilder()
                .setSecureAggregation(secure)
                .setName("demo")
                .setBaseModelId("fedlora-tiny")
                .setBaseModelSha256(sha)
                .setLora(DemoDefaults.lora())
                .setTraining(training)
                .setRounds(settings.rounds())
                .setClientsPerRound(settings.clients())
                .setMinClients(minClients)
                .setRoundDeadlineSeconds(180)
                .setStrategy(Strategy.STRATEGY_FEDAVG)
                .setAdapterLayout(LoraLayouts.of(modelConfig.loraSites(), DemoDefaults.RANK, DemoDefaults.TARGETS))
                .build();
    }

    /**
     * SecAgg+ for the demo's cohort: tolerate a quarter of the clients dropping out where the cohort
     * is big enough for that (4 or more), none otherwise; the coordinator alone is the adversary.
     */
    private io.fedlora.proto.v1.SecureAggregationConfig secureAggregation(LlamaConfig modelConfig) {
        var b = io.fedlora.proto.v1.SecureAggregationConfig.newBuilder().setCorruptFraction(0)
                .setClipNorm(DEMO_SECAGG_CLIP).setMaxWeight(DEMO_SECAGG_MAX_WEIGHT).setDropoutFraction(0.25);
        long dim = LoraLayouts.totalElements(LoraLayouts.of(modelConfig.loraSites(), DemoDefaults.RANK, DemoDefaults.TARGETS));
        int min = minClients(settings.clients());
        if (io.fedlora.rounds.SecureRoundSetup.largestFeasibleCohort(b.build(), dim, settings.clients()) < min) {
            b.setDropoutFraction(0);
        }
        return b.build();
    }

    /**
     * One client may drop out of a round where the cohort stays large enough for secure aggregation;
     * with the smallest cohort every client must contribute.
     */
    static int minClients(int clients) {
        return Math.max(SecureRoundSetup.MIN_COHORT, clients - 1);
    }

    /** Client-level DP target of the demo: epsilon 8 at delta 1e-5 per client over the whole job. */
    static final double CLIENT_DP_EPSILON = 8.0;
    static final double CLIENT_DP_DELTA = 1e-5;
    /** Bound on each client's lora_B update under client-level DP: the privacy setup's updates have norm 15-25. */
    static final double CLIENT_DP_CLIP = 20;

    /** Bounds each update so the fixed-point sum cannot overflow: above the demo's update norms (up to ~17). */
    static final double DEMO_SECAGG_CLIP = 32;
    static final int DEMO_SECAGG_MAX_WEIGHT = 1 << 12;

    /** All clients in the first round: wait until every client process has connected. */
    private void awaitClients(AdminServiceGrpc.AdminServiceBlockingStub admin) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        long connected = 0;
        while (System.nanoTime() < deadline) {
            connected = admin.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList().stream()
                    .filter(n -> n.getConnected()).count();
            out.printf("\rwaiting for clients to load the model and connect: %d/%d", connected, settings.clients());
            if (connected >= settings.clients()) {
                out.println();
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("only " + connected + " of " + settings.clients()
                + " clients connected within 120 s; see the logs in " + settings.workDir().resolve("logs"));
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
