package io.fedlora.deploy.eval;

import ai.djl.ndarray.NDManager;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.client.demo.ManyClientSimulation;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.EvalResult;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.coordinator.strategy.Strategy;
import io.fedlora.coordinator.strategy.StrategyRegistry;
import io.fedlora.crypto.privacy.PrivacyCli;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.StrategyOptions;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.TrainingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs an {@link EvalPlan} in this process, one trainer after another (DJL allows one open
 * gradient collector per JVM, and sequential trainers share the loaded base model): every arm at
 * every seed, held-out exact match and loss after each round, with progress lines and an ETA.
 * No network and no secure aggregation: the plaintext weighted mean the coordinator would unmask.
 */
public final class PrivacyUtilityEval {

    private static final String ACCOUNTANT = "rdp";

    private final EvalPlan plan;
    private final PrintStream out;
    private final LlamaModel model;
    private final PromptTokenizer tokenizer;
    private final List<InstructionExample> heldOut;
    private final DjlLoraTrainer evaluator;
    /** The base model's score: every arm starts from B = 0, the base model itself, so it is scored once. */
    private EvalResult base;

    private PrivacyUtilityEval(EvalPlan plan, PrintStream out, LlamaModel model, PromptTokenizer tokenizer) {
        this.plan = plan;
        this.out = out;
        this.model = model;
        this.tokenizer = tokenizer;
        this.heldOut = plan.task().heldOut(plan.heldOut());
        this.evaluator = new DjlLoraTrainer(model, tokenizer, heldOut);
    }

    public static List<EvalRun> run(EvalPlan plan, PrintStream out) throws IOException {
        try (NDManager root = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(plan.modelDir(), root);
                PromptTokenizer tok = PromptTokenizer.load(plan.modelDir(), model.config())) {
            PrivacyUtilityEval eval = new PrivacyUtilityEval(plan, out, model, tok);
            try {
                return eval.runAll();
            } finally {
                eval.evaluator.close();
            }
        }
    }

    private List<EvalRun> runAll() {
        List<EvalRun> runs = new ArrayList<>();
        long start = System.nanoTime();
        int done = 0;
        for (int a = 0; a < plan.arms().size(); a++) {
            EvalArm arm = plan.arms().get(a);
            for (int s = 0; s < plan.seeds(); s++) {
                double elapsed = (System.nanoTime() - start) / 1e9;
                String eta = done == 0 ? "?" : clock(elapsed / done * (plan.runs() - done));
                out.printf(Locale.ROOT, "[eval] arm %d of %d (%s), run %d of %d (seed %d): elapsed %s, ETA %s%n", a + 1,
                        plan.arms().size(), arm.name(), done + 1, plan.runs(), s, clock(elapsed), eta);
                EvalRun r = runArm(arm, s);
                out.printf(Locale.ROOT, "[eval] %s seed %d: held-out exact match %.1f%%%s, %.0f s%n", arm.name(), s,
                        100 * r.finalMetric(), arm.private_() ? String.format(Locale.ROOT, ", epsilon %.2f", r.epsilon())
                                : "", r.seconds());
                runs.add(r);
                done++;
            }
        }
        out.printf(Locale.ROOT, "[eval] %d runs in %s%n", done, clock((System.nanoTime() - start) / 1e9));
        return runs;
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    private List<List<InstructionExample>> clientData(EvalArm.Split split, int seed) {
        return plan.task().clientData(split, plan.clients(), plan.examplesPerClient(), plan.alpha(), plan.dataSeed(seed));
    }

    private EvalRun runArm(EvalArm arm, int seed) {
        if (arm.kind() == EvalArm.Kind.MANY_CLIENTS || arm.kind() == EvalArm.Kind.CLIENT_DP) {
            return manyClients(arm, seed);
        }
        long t0 = System.nanoTime();
        List<List<InstructionExample>> data = clientData(arm.split(), seed);
        LoraConfig lora = DemoDefaults.lora().toBuilder().setAggregationMode(arm.aggregation())
                .setRank(plan.rank()).setAlpha(plan.loraAlpha()).build();
        TrainingConfig.Builder tc = DemoDefaults.training().toBuilder().setLocalSteps(plan.localSteps())
                .setBatchSize(plan.batch()).setLearningRate(plan.learningRate()).setSeed(plan.trainingSeed(seed))
                .setMaxSeqLen(plan.task().maxSeqLen());
        double epsilon = Double.NaN;
        if (arm.private_()) {
            double q = (double) plan.batch() / plan.examplesPerClient();
            long steps = (long) plan.rounds() * plan.localSteps();
            // The smallest noise that keeps each client within its budget over the whole job.
            double sigma = PrivacyCli.noiseMultiplier(q, steps, plan.delta(), arm.epsilon(), ACCOUNTANT);
            tc.getDpBuilder().setNoiseMultiplier(sigma).setClipNorm(plan.clip()).setSamplingRate(q).setDelta(plan.delta());
            epsilon = PrivacyCli.epsilon(q, sigma, steps, plan.delta(), ACCOUNTANT);
        }
        TrainingConfig training = tc.build();
        AdapterLayout layout = evaluator.layoutFor(lora);
        FlatAdapter initial = FlatAdapter.initial(layout, lora.getASeed());
        List<Double> metric = new ArrayList<>();
        List<Double> loss = new ArrayList<>();
        if (base == null) {
            base = evaluate(null, lora, training);
        }
        metric.add(base.exactMatch());
        loss.add(base.meanLoss());
        List<Double> perClient = switch (arm.kind()) {
            case CENTRALISED -> centralised(data, lora, training, initial, metric, loss);
            case LOCAL -> local(data, lora, training, initial, metric, loss);
            case FEDERATED -> federated(serverStrategy(arm, training), data, lora, training, initial, metric, loss);
            case MANY_CLIENTS, CLIENT_DP -> throw new IllegalStateException(arm.name() + " runs in manyClients");
        };
        return new EvalRun(arm.name(), seed, metric, loss, epsilon, (System.nanoTime() - t0) / 1e9, perClient);
    }

    /**
     * The many-client simulation with its own model copy (sequential, so one gradient collector at a
     * time). Its clients' data and training seeds are fixed; what a seed changes is the DP noise,
     * drawn from a SecureRandom, so seeds here are noise seeds.
     */
    private EvalRun manyClients(EvalArm arm, int seed) {
        boolean dp = arm.kind() == EvalArm.Kind.CLIENT_DP;
        ManyClientSimulation.Settings d = plan.manyClients();
        ManyClientSimulation.Settings s = new ManyClientSimulation.Settings(d.clients(), plan.rounds(), d.localSteps(),
                d.batch(), d.learningRate(), d.examplesPerClient(), d.clip(), dp ? arm.epsilon() : d.epsilon(),
                plan.delta(), plan.heldOut());
        ManyClientSimulation.Result r;
        try {
            r = ManyClientSimulation.runOne(plan.modelDir(), s,
                    dp ? ManyClientSimulation.Privacy.CLIENT_DP : ManyClientSimulation.Privacy.NONE,
                    line -> out.println("[eval]   " + line));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Double> metric = new ArrayList<>(List.of(r.baseExactMatch()));
        List<Double> loss = new ArrayList<>();
        loss.add(Double.NaN);
        r.rounds().forEach(row -> {
            metric.add(row.exactMatch());
            loss.add(row.heldOutLoss());
        });
        return new EvalRun(arm.name(), seed, metric, loss, dp ? r.finalEpsilon() : Double.NaN, r.seconds(), List.of());
    }

    private EvalResult evaluate(FlatAdapter adapter, LoraConfig lora, TrainingConfig training) {
        return evaluator.evaluate(adapter, lora.getAlpha(), heldOut, training.getMaxSeqLen());
    }

    private List<Double> centralised(List<List<InstructionExample>> data, LoraConfig lora, TrainingConfig training,
            FlatAdapter adapter, List<Double> metric, List<Double> loss) {
        List<InstructionExample> pooled = new ArrayList<>();
        data.forEach(pooled::addAll);
        // The same total steps as federation: all clients' local steps of a round, in one trainer.
        TrainingConfig all = training.toBuilder().setLocalSteps(training.getLocalSteps() * data.size()).build();
        try (DjlLoraTrainer trainer = new DjlLoraTrainer(model, tokenizer, pooled)) {
            for (int r = 1; r <= plan.rounds(); r++) {
                adapter = plus(adapter, trainer.train(new TrainRequest("eval-centralised", r, adapter, lora, all)).delta(),
                        1);
                record(r, evaluate(adapter, lora, training), metric, loss);
            }
        }
        return List.of();
    }

    private List<Double> local(List<List<InstructionExample>> data, LoraConfig lora, TrainingConfig training,
            FlatAdapter initial, List<Double> metric, List<Double> loss) {
        List<FlatAdapter> adapters = new ArrayList<>();
        data.forEach(d -> adapters.add(initial));
        List<Double> last = new ArrayList<>();
        for (int r = 1; r <= plan.rounds(); r++) {
            double emSum = 0;
            double lossSum = 0;
            last.clear();
            for (int k = 0; k < data.size(); k++) {
                try (DjlLoraTrainer trainer = new DjlLoraTrainer(model, tokenizer, data.get(k))) {
                    TrainOutcome o = trainer.train(new TrainRequest("eval-local-" + k, r, adapters.get(k), lora, training));
                    adapters.set(k, plus(adapters.get(k), o.delta(), 1));
                }
                EvalResult e = evaluate(adapters.get(k), lora, training);
                emSum += e.exactMatch();
                lossSum += e.meanLoss();
                last.add(e.exactMatch());
            }
            record(r, new EvalResult(emSum / data.size(), 0, heldOut.size(), lossSum / data.size(), 0, 0), metric, loss);
        }
        return last;
    }

    /** The coordinator's own strategy with its default options, so the update rules exist once. */
    private static Strategy serverStrategy(EvalArm arm, TrainingConfig training) {
        StrategyOptions options = arm.strategy().withDefaults(StrategyOptions.getDefaultInstance());
        return StrategyRegistry.create(JobConfig.newBuilder().setStrategy(arm.strategy().proto())
                .setStrategyOptions(options).setTraining(training).build());
    }

    private List<Double> federated(Strategy strategy, List<List<InstructionExample>> data, LoraConfig lora,
            TrainingConfig jobTraining, FlatAdapter global, List<Double> metric, List<Double> loss) {
        TrainingConfig training = strategy.configureFit(jobTraining);
        List<DjlLoraTrainer> trainers = new ArrayList<>();
        try {
            for (List<InstructionExample> d : data) {
                trainers.add(new DjlLoraTrainer(model, tokenizer, d));
            }
            for (int r = 1; r <= plan.rounds(); r++) {
                float[] sum = new float[global.values().length];
                long weight = 0;
                for (DjlLoraTrainer t : trainers) {
                    TrainOutcome o = t.train(new TrainRequest("eval-federated", r, global, lora, training));
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += o.delta()[i] * o.numExamples();
                    }
                    weight += o.numExamples();
                }
                for (int i = 0; i < sum.length; i++) {
                    sum[i] /= weight;
                }
                global = new FlatAdapter(global.layout(), strategy.applyMean(global, sum));
                record(r, evaluate(global, lora, training), metric, loss);
            }
        } finally {
            trainers.forEach(DjlLoraTrainer::close);
        }
        return List.of();
    }

    private void record(int round, EvalResult e, List<Double> metric, List<Double> loss) {
        metric.add(e.exactMatch());
        loss.add(e.meanLoss());
        out.printf(Locale.ROOT, "[eval]   round %d: held-out exact match %.1f%%, loss %.3f%n", round, 100 * e.exactMatch(),
                e.meanLoss());
    }

    private static FlatAdapter plus(FlatAdapter a, float[] delta, float scale) {
        float[] next = a.values().clone();
        for (int i = 0; i < next.length; i++) {
            next[i] += delta[i] * scale;
        }
        return new FlatAdapter(a.layout(), next);
    }
}
