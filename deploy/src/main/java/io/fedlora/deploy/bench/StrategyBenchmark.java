package io.fedlora.deploy.bench;

import ai.djl.ndarray.NDManager;
import com.google.protobuf.DoubleValue;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.coordinator.strategy.ClientUpdate;
import io.fedlora.coordinator.strategy.Strategy;
import io.fedlora.coordinator.strategy.StrategyRegistry;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.StrategyOptions;
import io.fedlora.proto.v1.TrainingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Rounds to reach a held-out exact-match target on the demo task for each server strategy: the
 * demo's model, non-IID client slices, seeds and training settings, the coordinator's own strategy
 * classes, in one process (no network; the plaintext weighted mean, which secure aggregation
 * delivers up to its fixed-point rounding). Every strategy starts from the same adapter and seeds.
 */
public final class StrategyBenchmark {

    public record Settings(Path modelDir, int clients, int maxRounds, double target, List<StrategyRegistry> strategies,
            double fedproxMu) {
        public Settings {
            if (clients < 2 || maxRounds < 1 || !(target > 0 && target <= 1) || strategies.isEmpty()) {
                throw new IllegalArgumentException("need >= 2 clients, >= 1 round, a target in (0, 1] and a strategy");
            }
            strategies = List.copyOf(strategies);
        }
    }

    /** One strategy's run: exact match after each round (index 0 = base), and the first round at the target (0: none). */
    public record Run(String strategy, StrategyOptions options, List<Double> exactMatch, int roundsToTarget,
            double seconds) {}

    private StrategyBenchmark() {}

    public static List<Run> run(Settings s, PrintStream out) throws IOException {
        LoraConfig lora = DemoDefaults.lora();
        List<Run> runs = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(s.modelDir(), root);
                PromptTokenizer tok = PromptTokenizer.load(s.modelDir(), model.config())) {
            List<DjlLoraTrainer> trainers = new ArrayList<>();
            for (int k = 0; k < s.clients(); k++) {
                trainers.add(new DjlLoraTrainer(model, tok,
                        DemoTask.clientSlice(k, s.clients(), DemoDefaults.EXAMPLES_PER_CLIENT, DemoDefaults.TASK_SEED)));
            }
            List<InstructionExample> heldOut = DemoTask.heldOut(DemoDefaults.HELD_OUT, DemoDefaults.TASK_SEED);
            DjlLoraTrainer evaluator = trainers.get(0);
            AdapterLayout layout = evaluator.layoutFor(lora);
            double base = evaluator.evaluate(null, lora.getAlpha(), heldOut, DemoDefaults.MAX_SEQ_LEN).exactMatch();
            for (StrategyRegistry entry : s.strategies()) {
                StrategyOptions options = entry.withDefaults(StrategyOptions.newBuilder().setFedproxMu(DoubleValue.of(s.fedproxMu()))
                        .build());
                Strategy strategy = StrategyRegistry.create(JobConfig.newBuilder().setStrategy(entry.proto())
                        .setStrategyOptions(options).build());
                TrainingConfig training = strategy.configureFit(DemoDefaults.training());
                long t0 = System.nanoTime();
                FlatAdapter global = FlatAdapter.initial(layout, lora.getASeed());
                List<Double> em = new ArrayList<>(List.of(base));
                int reached = 0;
                for (int r = 1; r <= s.maxRounds() && reached == 0; r++) {
                    List<ClientUpdate> updates = new ArrayList<>();
                    for (int k = 0; k < trainers.size(); k++) {
                        TrainOutcome o = trainers.get(k).train(new TrainRequest("bench", r, global, lora, training));
                        updates.add(new ClientUpdate("client-" + k, o.delta(), o.numExamples(), o.meanLoss(),
                                o.trainSeconds()));
                    }
                    global = new FlatAdapter(layout, strategy.aggregate(global, updates));
                    double e = evaluator.evaluate(global, lora.getAlpha(), heldOut, DemoDefaults.MAX_SEQ_LEN).exactMatch();
                    em.add(e);
                    if (e >= s.target()) {
                        reached = r;
                    }
                    out.printf(Locale.ROOT, "%-10s round %2d: held-out exact match %5.1f%%%s%n", entry.strategyName(), r,
                            100 * e, reached > 0 ? "  (target reached)" : "");
                }
                runs.add(new Run(entry.strategyName(), options, em, reached, (System.nanoTime() - t0) / 1e9));
            }
            for (DjlLoraTrainer t : trainers) {
                t.close();
            }
        }
        return runs;
    }

    public static void printTable(List<Run> runs, Settings s, PrintStream out) {
        out.printf(Locale.ROOT, "%nrounds to %.0f%% held-out exact match (%d non-IID clients, at most %d rounds)%n",
                100 * s.target(), s.clients(), s.maxRounds());
        out.printf("%-11s %-9s %-10s %-8s %s%n", "strategy", "rounds", "final EM", "seconds", "options");
        for (Run r : runs) {
            out.printf(Locale.ROOT, "%-11s %-9s %-10s %-8.0f %s%n", r.strategy(),
                    r.roundsToTarget() > 0 ? Integer.toString(r.roundsToTarget()) : ">" + s.maxRounds(),
                    String.format(Locale.ROOT, "%.1f%%", 100 * r.exactMatch().get(r.exactMatch().size() - 1)),
                    r.seconds(), options(r.options()));
        }
    }

    public static String toJson(List<Run> runs, Settings s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "{\"clients\":%d,\"max_rounds\":%d,\"target\":%.3f,\"runs\":[", s.clients(),
                s.maxRounds(), s.target()));
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"strategy\":\"%s\",\"rounds_to_target\":%s,\"seconds\":%.1f,\"options\":\"%s\",\"exact_match\":[",
                    r.strategy(), r.roundsToTarget() > 0 ? r.roundsToTarget() : "null", r.seconds(), options(r.options())));
            for (int j = 0; j < r.exactMatch().size(); j++) {
                b.append(j == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.4f", r.exactMatch().get(j)));
            }
            b.append("]}");
        }
        return b.append("]}").toString();
    }

    private static String options(StrategyOptions o) {
        List<String> parts = new ArrayList<>();
        o.getAllFields().forEach((f, v) -> parts.add(f.getName() + "=" + v));
        return String.join(" ", parts);
    }
}
