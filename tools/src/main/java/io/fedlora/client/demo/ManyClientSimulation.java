package io.fedlora.client.demo;

import ai.djl.ndarray.NDManager;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.EvalResult;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.DistributedDpConfig;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.TrainingConfig;
import io.fedlora.rounds.SecureRoundSetup;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A federation of N clients on the demo task simulated in one process, with or without client-level
 * distributed DP: what the 4-client demo cannot show, because client-level DP needs many clients per
 * round. Each simulated client holds its own examples ({@link DemoTask#simulatedClientSlice},
 * non-IID as the demo's) and every round trains a few local steps from the global adapter with the
 * agents' trainer ({@link DjlLoraTrainer}, one client after another: one gradient collector per JVM).
 *
 * <ul>
 *   <li>{@link Privacy#CLIENT_DP}: each update goes through the real round mechanism
 *       ({@link SimulatedDistributedDp}: the agents' encoding with noise calibrated for the N
 *       clients, the modular sum, the coordinator's decoding) and the decoded mean is added to the
 *       global adapter; the accountant charges every round.
 *   <li>{@link Privacy#NONE}: the same clients and local training; the plain mean of the updates (all
 *       clients hold the same number of examples, so this is FedAvg's example-weighted mean) is added.
 *       The baseline the DP run is compared with.
 * </ul>
 *
 * <p>All N clients take part in every round (no sampling: the accountant claims no amplification).
 */
public final class ManyClientSimulation {

    public enum Privacy {
        NONE,
        CLIENT_DP
    }

    /**
     * The simulated federation.
     *
     * @param clients N, simulated clients, all in every round
     * @param rounds rounds (the DP noise is calibrated for exactly this many)
     * @param localSteps local steps per client and round
     * @param batch local batch size
     * @param learningRate local AdamW learning rate
     * @param examplesPerClient each client's own examples
     * @param clip L2 bound on one client's update under client-level DP (lora_B values)
     * @param epsilon client-level ε over all rounds
     * @param delta δ
     * @param heldOut held-out examples scored after every round (the demo's set, or its first ones)
     */
    public record Settings(int clients, int rounds, int localSteps, int batch, double learningRate,
            int examplesPerClient, double clip, double epsilon, double delta, int heldOut) {
        public Settings {
            if (clients < 3 || clients > DemoTask.MAX_SIMULATED_CLIENTS) {
                throw new IllegalArgumentException("simulated clients must be in 3.." + DemoTask.MAX_SIMULATED_CLIENTS
                        + ", got " + clients);
            }
            if (rounds < 1 || localSteps < 1 || batch < 1 || examplesPerClient < 1 || heldOut < 1) {
                throw new IllegalArgumentException(
                        "rounds, local steps, batch, examples per client and held-out examples must be positive");
            }
            if (!(learningRate > 0) || !(clip > 0) || !(epsilon > 0) || !(delta > 0 && delta < 1)) {
                throw new IllegalArgumentException("learning rate, clip and epsilon must be positive, delta in (0, 1)");
            }
        }

        /** The defaults of {@code fedlora demo --privacy client-sim}: meets 90% of the non-private metric. */
        public static Settings defaults() {
            return new Settings(DEFAULT_CLIENTS, DEFAULT_ROUNDS, DEFAULT_LOCAL_STEPS, DEFAULT_BATCH, DEFAULT_LEARNING_RATE,
                    DEFAULT_EXAMPLES_PER_CLIENT, DEFAULT_CLIP, 8, 1e-5, DemoDefaults.HELD_OUT);
        }

        public Settings withClients(int n) {
            return new Settings(n, rounds, localSteps, batch, learningRate, examplesPerClient, clip, epsilon, delta,
                    heldOut);
        }

        public Settings withRounds(int r) {
            return new Settings(clients, r, localSteps, batch, learningRate, examplesPerClient, clip, epsilon, delta,
                    heldOut);
        }

        /** Local training as every simulated client runs it (its seed is made per client, see {@link #training(int)}). */
        TrainingConfig training(int client) {
            return DemoDefaults.training().toBuilder().setLocalSteps(localSteps).setBatchSize(batch)
                    .setLearningRate(learningRate).setSeed(DemoDefaults.TRAINING_SEED + 7919L * client).build();
        }
    }

    /*
     * Defaults, measured on this task (docs/benchmarks.md, "Many real clients, simulated"): 5 rounds of
     * 25 local steps reach 91% held-out exact match without DP and 88.5% with client-level DP at ε = 8
     * (4 rounds stopped both mid-climb: 81% and 72.5%); clip 20 sits just above most updates' norms
     * after the first round (a lower clip slowed learning more than the noise did: clip 15 alone,
     * without noise, cost 17 points); 500 clients bring the published mean's noise to 0.057 per value
     * per round.
     */
    public static final int DEFAULT_CLIENTS = 500;
    public static final int DEFAULT_ROUNDS = 5;
    public static final int DEFAULT_LOCAL_STEPS = 25;
    public static final int DEFAULT_BATCH = 16;
    public static final double DEFAULT_LEARNING_RATE = 4e-2;
    public static final int DEFAULT_EXAMPLES_PER_CLIENT = 256;
    public static final double DEFAULT_CLIP = 20;

    /**
     * One round's outcome: held-out metric, clients' mean loss and update norm (lora_B values, before
     * clipping), how many updates the clip scaled down, the norm of the published mean update (noise
     * included), epsilons (NaN without DP).
     */
    public record RoundRow(int round, double exactMatch, double heldOutLoss, double meanClientLoss,
            double meanUpdateNorm, int clippedClients, double aggregateNorm, double roundEpsilon, double cumulativeEpsilon, double seconds) {}

    /**
     * A run: the base model's metric, one row per round, the DP parameters (null without DP) and the
     * noise clients the coordinator's own rule would have used for this cohort (0 without DP).
     */
    public record Result(Privacy privacy, Settings settings, double baseExactMatch, List<RoundRow> rounds,
            DistributedDpParameters parameters, int coordinatorNoiseClients, double seconds) {
        public Result {
            rounds = List.copyOf(rounds);
        }

        public double finalExactMatch() {
            return rounds.isEmpty() ? baseExactMatch : rounds.get(rounds.size() - 1).exactMatch();
        }

        /** Cumulative ε after the last round; NaN without DP. */
        public double finalEpsilon() {
            return rounds.isEmpty() ? Double.NaN : rounds.get(rounds.size() - 1).cumulativeEpsilon();
        }

        /** Standard deviation of the DP noise per value of the published mean, per round; 0 without DP. */
        public double meanNoisePerValue() {
            return parameters == null ? 0 : parameters.clientNoiseStddev() / Math.sqrt(settings.clients());
        }
    }

    /** The non-private baseline and the client-level DP run over the same simulated clients. */
    public record Comparison(Result nonPrivate, Result clientDp) {
        /** The DP run's final metric as a share of the baseline's. */
        public double share() {
            return nonPrivate.finalExactMatch() == 0 ? 0 : clientDp.finalExactMatch() / nonPrivate.finalExactMatch();
        }
    }

    /** Sees every client's update and every round's aggregate (tests). */
    public interface Observer {
        default void clientUpdate(int round, int client, float[] delta) {}

        /** {@code format} is null without DP. */
        default void aggregated(int round, float[] meanUpdate, io.fedlora.crypto.encoding.SecureVectorFormat format) {}
    }

    /** Elapsed time over a known amount of work (client-rounds), for ETAs that span both runs. */
    public static final class Progress {
        private final long totalUnits;
        private final long start = System.nanoTime();
        private long done;

        public Progress(long totalUnits) {
            this.totalUnits = totalUnits;
        }

        void advance(long units) {
            done += units;
        }

        double elapsedSeconds() {
            return (System.nanoTime() - start) / 1e9;
        }

        String eta() {
            if (done == 0) {
                return "?";
            }
            double s = elapsedSeconds() / done * Math.max(0, totalUnits - done);
            return s < 90 ? String.format(Locale.ROOT, "%.0f s", s) : String.format(Locale.ROOT, "%.1f min", s / 60);
        }
    }

    static final String JOB_ID = "many-client-simulation";

    private final Settings settings;
    private final List<DjlLoraTrainer> trainers;
    private final List<InstructionExample> heldOut;
    private final LoraConfig lora;
    private final AdapterLayout layout;

    /** N trainers over one shared model, each with its own data; the caller keeps the model and tokenizer. */
    public ManyClientSimulation(LlamaModel model, PromptTokenizer tokenizer, Settings settings) {
        this.settings = settings;
        this.lora = DemoDefaults.lora();
        List<DjlLoraTrainer> t = new ArrayList<>(settings.clients());
        for (int k = 0; k < settings.clients(); k++) {
            t.add(new DjlLoraTrainer(model, tokenizer,
                    DemoTask.simulatedClientSlice(k, settings.examplesPerClient(), DemoDefaults.TASK_SEED)));
        }
        this.trainers = List.copyOf(t);
        this.heldOut = DemoTask.heldOut(settings.heldOut(), DemoDefaults.TASK_SEED);
        this.layout = trainers.get(0).layoutFor(lora);
    }

    /** The job whose client-level DP the simulation runs (SecAgg+ as in the demo: a quarter may drop out where feasible). */
    public JobConfig job() {
        SecureAggregationConfig.Builder sa = SecureAggregationConfig.newBuilder().setCorruptFraction(0)
                .setDistributedDp(DistributedDpConfig.newBuilder().setTargetEpsilon(settings.epsilon())
                        .setDelta(settings.delta()).setClipNorm(settings.clip()));
        double dropout = 0.25;
        try {
            SecureRoundSetup.parameters(settings.clients(), dropout, 0);
        } catch (RuntimeException infeasible) {
            dropout = 0;
        }
        sa.setDropoutFraction(dropout);
        return JobConfig.newBuilder().setName(JOB_ID).setRounds(settings.rounds()).setMinClients(settings.clients())
                .setClientsPerRound(settings.clients()).setLora(lora).setAdapterLayout(layout)
                .setSecureAggregation(sa).build();
    }

    /** One run; progress lines (per round, with ETA) go to {@code out}. */
    public Result run(Privacy privacy, Progress progress, Consumer<String> out, Observer observer) {
        long start = System.nanoTime();
        SecureRandom random = new SecureRandom();
        SimulatedDistributedDp dp = privacy == Privacy.CLIENT_DP
                ? new SimulatedDistributedDp(JOB_ID, job(), settings.clients(), random) : null;
        UpdateCoordinates coords = UpdateCoordinates.of(layout, lora.getAggregationMode());
        String name = privacy == Privacy.CLIENT_DP ? "client-level DP" : "non-private";
        if (dp != null) {
            DistributedDpParameters p = dp.parameters();
            out.accept(String.format(Locale.ROOT, "%s, %d simulated clients: epsilon <= %.2f at delta %.0e per client"
                    + " over %d rounds; clip %.2f on %d lora_B values (rotated in %d); per-client sigma %.4g, granularity"
                    + " %.3g (sigma/gamma %.3g); the published mean carries noise %.4f per value per round", name,
                    settings.clients(), settings.epsilon(), settings.delta(), settings.rounds(), settings.clip(),
                    p.dimension(), p.paddedDimension(), p.clientNoiseStddev(), p.granularity(), p.integerNoiseSigma(),
                    p.clientNoiseStddev() / Math.sqrt(settings.clients())));
        }
        DjlLoraTrainer evaluator = trainers.get(0);
        FlatAdapter global = FlatAdapter.initial(layout, lora.getASeed());
        EvalResult base = evaluator.evaluate(global, lora.getAlpha(), heldOut, DemoDefaults.MAX_SEQ_LEN);
        List<RoundRow> rows = new ArrayList<>();
        for (int r = 1; r <= settings.rounds(); r++) {
            long roundStart = System.nanoTime();
            SimulatedDistributedDp.Round round = dp == null ? null : dp.open(r);
            double[] plainSum = dp == null ? new double[global.values().length] : null;
            double lossSum = 0;
            double normSum = 0;
            int clipped = 0;
            for (int k = 0; k < trainers.size(); k++) {
                TrainOutcome o = trainers.get(k).train(new TrainRequest(JOB_ID, r, global, lora, settings.training(k)));
                float[] delta = o.delta();
                observer.clientUpdate(r, k, delta);
                double norm = l2(coords.gather(delta));
                normSum += norm;
                clipped += norm > settings.clip() ? 1 : 0;
                lossSum += o.meanLoss();
                if (round != null) {
                    round.contribute(delta);
                } else {
                    for (int i = 0; i < delta.length; i++) {
                        plainSum[i] += delta[i];
                    }
                }
                progress.advance(1);
                if (trainers.size() >= 40 && (k + 1) % (trainers.size() / 4) == 0 && k + 1 < trainers.size()) {
                    out.accept(String.format(Locale.ROOT, "%s round %d/%d: %d of %d clients trained (%.0f s); ETA %s",
                            name, r, settings.rounds(), k + 1, trainers.size(), (System.nanoTime() - roundStart) / 1e9,
                            progress.eta()));
                }
            }
            float[] mean;
            if (round != null) {
                mean = round.decode();
            } else {
                mean = new float[plainSum.length];
                for (int i = 0; i < mean.length; i++) {
                    mean[i] = (float) (plainSum[i] / trainers.size());
                }
            }
            observer.aggregated(r, mean, round == null ? null : round.format());
            float[] next = global.values().clone();
            for (int i = 0; i < next.length; i++) {
                next[i] += mean[i];
            }
            global = new FlatAdapter(layout, next);
            EvalResult e = evaluator.evaluate(global, lora.getAlpha(), heldOut, DemoDefaults.MAX_SEQ_LEN);
            SimulatedDistributedDp.Charge c = round == null ? null : round.charge();
            RoundRow row = new RoundRow(r, e.exactMatch(), e.meanLoss(), lossSum / trainers.size(),
                    normSum / trainers.size(), clipped, l2(coords.gather(mean)), c == null ? Double.NaN : c.roundEpsilon(),
                    c == null ? Double.NaN : c.cumulativeEpsilon(), (System.nanoTime() - roundStart) / 1e9);
            rows.add(row);
            out.accept(String.format(Locale.ROOT, "%s round %d/%d: held-out exact match %5.1f%% (loss %.3f)%s; client"
                    + " loss %.3f, update norm %.2f (%d of %d %s), mean update norm %.2f; %.0f s; ETA %s", name, r,
                    settings.rounds(), 100 * row.exactMatch(), row.heldOutLoss(), c == null ? ""
                            : String.format(Locale.ROOT, ", epsilon %.2f (round %.2f)", c.cumulativeEpsilon(),
                                    c.roundEpsilon()), row.meanClientLoss(), row.meanUpdateNorm(), clipped,
                    trainers.size(), c == null ? "above the DP clip, not clipped here" : "clipped", row.aggregateNorm(),
                    row.seconds(), progress.eta()));
        }
        return new Result(privacy, settings, base.exactMatch(), rows, dp == null ? null : dp.parameters(),
                dp == null ? 0 : dp.coordinatorNoiseClients(), (System.nanoTime() - start) / 1e9);
    }

    /** The non-private baseline, then client-level DP, over the same clients. */
    public Comparison compare(Consumer<String> out) {
        Progress progress = new Progress(2L * settings.clients() * settings.rounds());
        Result plain = run(Privacy.NONE, progress, out, new Observer() {});
        Result dp = run(Privacy.CLIENT_DP, progress, out, new Observer() {});
        return new Comparison(plain, dp);
    }

    /** Loads the model, runs {@link #compare} and closes everything. */
    public static Comparison compare(Path modelDir, Settings settings, Consumer<String> out) throws IOException {
        return withModel(modelDir, settings, sim -> sim.compare(out));
    }

    /**
     * One of the two runs alone, with its own model ({@link #compare(Path, Settings, Consumer)} runs both in
     * turn; a caller with a spare core may run each in its own process, one gradient collector per JVM).
     */
    public static Result runOne(Path modelDir, Settings settings, Privacy privacy, Consumer<String> out)
            throws IOException {
        return withModel(modelDir, settings, sim -> sim.run(privacy,
                new Progress((long) settings.clients() * settings.rounds()), out, new Observer() {}));
    }

    /** Loads the model and tokenizer, builds the simulation, applies {@code work} and closes everything. */
    private static <T> T withModel(Path modelDir, Settings settings, java.util.function.Function<ManyClientSimulation, T> work)
            throws IOException {
        try (NDManager root = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(modelDir, root);
                PromptTokenizer tok = PromptTokenizer.load(modelDir, model.config())) {
            ManyClientSimulation sim = new ManyClientSimulation(model, tok, settings);
            try {
                return work.apply(sim);
            } finally {
                sim.close();
            }
        }
    }

    /** Closes the trainers (not the shared model). */
    public void close() {
        for (DjlLoraTrainer t : trainers) {
            t.close();
        }
    }

    private static double l2(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    /**
     * {@code ManyClientSimulation [clients] [rounds] [localSteps] [batch] [lr] [clip] [examplesPerClient]
     * [NONE|CLIENT_DP] [epsilon]}: the comparison with the demo model, or one of its runs, for tuning.
     */
    public static void main(String[] args) throws IOException {
        Settings d = Settings.defaults();
        Settings s = new Settings(arg(args, 0, d.clients()), arg(args, 1, d.rounds()), arg(args, 2, d.localSteps()),
                arg(args, 3, d.batch()), args.length > 4 ? Double.parseDouble(args[4]) : d.learningRate(),
                arg(args, 6, d.examplesPerClient()), args.length > 5 ? Double.parseDouble(args[5]) : d.clip(),
                args.length > 8 ? Double.parseDouble(args[8]) : d.epsilon(), d.delta(), d.heldOut());
        System.out.println(s);
        if (args.length > 7) {
            // Tuning: one of the two runs alone.
            runOne(Path.of(DemoDefaults.MODEL_DIR), s, Privacy.valueOf(args[7]), System.out::println);
            return;
        }
        Comparison c = compare(Path.of(DemoDefaults.MODEL_DIR), s, System.out::println);
        System.out.printf(Locale.ROOT, "non-private %.1f%%, client-level DP %.1f%% (epsilon %.2f): %.1f%% of non-private%n",
                100 * c.nonPrivate().finalExactMatch(), 100 * c.clientDp().finalExactMatch(), c.clientDp().finalEpsilon(),
                100 * c.share());
    }

    private static int arg(String[] args, int i, int dflt) {
        return args.length > i ? Integer.parseInt(args[i]) : dflt;
    }
}
