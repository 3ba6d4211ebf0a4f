package io.fedlora.client.demo;

import ai.djl.ndarray.NDManager;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.EvalResult;
import io.fedlora.client.train.TrainOutcome;
import io.fedlora.client.train.TrainRequest;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * FedAvg over the demo's client slices in one process, without network or secure aggregation:
 * each round every client trains from the global adapter, deltas are averaged weighted by example
 * count and added to the global adapter. Used to choose {@link DemoDefaults} and as a check that
 * federation helps. Optionally also trains one client alone for the same number of rounds.
 */
public final class FedAvgSimulation {

    /** Held-out exact match after a round (round 0 = the base model), and the slowest client's seconds. */
    public record RoundStats(int round, double exactMatch, double heldOutLoss, double meanTrainLoss,
            double maxClientSeconds, double soloExactMatch) {}

    private FedAvgSimulation() {}

    public static List<RoundStats> run(Path modelDir, int clients, int rounds, LoraConfig lora, TrainingConfig training,
            boolean withSolo, Consumer<String> out) throws IOException {
        List<RoundStats> stats = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(modelDir, root);
                PromptTokenizer tok = PromptTokenizer.load(modelDir, model.config())) {
            List<DjlLoraTrainer> trainers = new ArrayList<>();
            for (int k = 0; k < clients; k++) {
                trainers.add(new DjlLoraTrainer(model, tok,
                        DemoTask.clientSlice(k, clients, DemoDefaults.EXAMPLES_PER_CLIENT, DemoDefaults.TASK_SEED)));
            }
            List<InstructionExample> heldOut = DemoTask.heldOut(DemoDefaults.HELD_OUT, DemoDefaults.TASK_SEED);
            DjlLoraTrainer evaluator = trainers.get(0);
            AdapterLayout layout = evaluator.layoutFor(lora);
            FlatAdapter global = FlatAdapter.initial(layout, lora.getASeed());
            FlatAdapter solo = global;
            EvalResult base = evaluator.evaluate(null, lora.getAlpha(), heldOut, training.getMaxSeqLen());
            stats.add(new RoundStats(0, base.exactMatch(), base.meanLoss(), Double.NaN, 0, base.exactMatch()));
            out.accept(String.format(Locale.ROOT, "round 0 (base): held-out exact match %.1f%%, loss %.3f",
                    100 * base.exactMatch(), base.meanLoss()));
            for (int r = 1; r <= rounds; r++) {
                float[] sum = new float[global.values().length];
                long weight = 0;
                double lossSum = 0;
                double maxSeconds = 0;
                for (DjlLoraTrainer t : trainers) {
                    TrainOutcome o = t.train(new TrainRequest("simulation", r, global, lora, training));
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += o.delta()[i] * o.numExamples();
                    }
                    weight += o.numExamples();
                    lossSum += o.meanLoss();
                    maxSeconds = Math.max(maxSeconds, o.trainSeconds());
                }
                float[] next = global.values().clone();
                for (int i = 0; i < next.length; i++) {
                    next[i] += sum[i] / weight;
                }
                global = new FlatAdapter(layout, next);
                EvalResult e = evaluator.evaluate(global, lora.getAlpha(), heldOut, training.getMaxSeqLen());
                double soloEm = Double.NaN;
                if (withSolo) {
                    TrainOutcome o = trainers.get(0).train(new TrainRequest("solo", r, solo, lora, training));
                    float[] s = solo.values().clone();
                    for (int i = 0; i < s.length; i++) {
                        s[i] += o.delta()[i];
                    }
                    solo = new FlatAdapter(layout, s);
                    soloEm = evaluator.evaluate(solo, lora.getAlpha(), heldOut, training.getMaxSeqLen()).exactMatch();
                }
                stats.add(new RoundStats(r, e.exactMatch(), e.meanLoss(), lossSum / clients, maxSeconds, soloEm));
                out.accept(String.format(Locale.ROOT,
                        "round %d: held-out exact match %.1f%% (loss %.3f), client train loss %.3f, %.2f s per client"
                                + (withSolo ? ", client 1 alone %.1f%%" : ""),
                        r, 100 * e.exactMatch(), e.meanLoss(), lossSum / clients, maxSeconds, 100 * soloEm));
            }
            for (DjlLoraTrainer t : trainers) {
                t.close();
            }
        }
        return stats;
    }

    /**
     * {@code FedAvgSimulation [modelDir] [rounds] [localSteps] [batch] [lr] [rank] [targets] [solo]}:
     * prints base and federated held-out exact match per round.
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : DemoDefaults.MODEL_DIR);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : DemoDefaults.ROUNDS;
        TrainingConfig.Builder tc = DemoDefaults.training().toBuilder();
        LoraConfig.Builder lc = DemoDefaults.lora().toBuilder();
        if (args.length > 2) {
            tc.setLocalSteps(Integer.parseInt(args[2]));
        }
        if (args.length > 3) {
            tc.setBatchSize(Integer.parseInt(args[3]));
        }
        if (args.length > 4) {
            tc.setLearningRate(Double.parseDouble(args[4]));
        }
        if (args.length > 5) {
            lc.setRank(Integer.parseInt(args[5]));
        }
        if (args.length > 6) {
            lc.clearTargetModules().addAllTargetModules(List.of(args[6].split(",")));
        }
        boolean solo = args.length > 7 && Boolean.parseBoolean(args[7]);
        run(dir, DemoDefaults.CLIENTS, rounds, lc.build(), tc.build(), solo, System.out::println);
    }
}
