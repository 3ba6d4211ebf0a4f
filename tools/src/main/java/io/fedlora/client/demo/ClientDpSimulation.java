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
import io.fedlora.crypto.privacy.DistributedDpCalibration;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.DistributedDpConfig;
import io.fedlora.proto.v1.JobConfig;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.proto.v1.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * <b>Secondary, a projection</b>: superseded by {@link ManyClientSimulation}, which simulates N
 * distinct clients with their own data through the real mechanism. Kept because docs/benchmarks.md
 * quotes its earlier table. Each round the demo's 4 clients train from the global adapter; then
 * either
 * <ul>
 *   <li>the real mechanism over those 4 clients ({@link SimulatedDistributedDp}: the agents'
 *       encoding, the modular sum without masks, the coordinator's decoding); or
 *   <li>a projection to {@code projectedClients} = n clients: the clipped mean of the 4 clients plus
 *       the noise the mechanism's sum carries when n clients take part (per-client σ calibrated for n,
 *       so σ·√n / n on the mean). It assumes the n clients' average update is these 4 clients'
 *       clipped mean, the optimistic case: with many distinct clients the mean update is smaller
 *       (their differences cancel) while the noise is the same. Continuous Gaussian noise: at
 *       σ/γ ~ 10^7 the discrete one is the same.
 * </ul>
 */
public final class ClientDpSimulation {

    /** As {@code fedlora demo --privacy all}: the privacy setup's data, batch and learning rate. */
    public record Settings(int clients, int projectedClients, int rounds, double epsilon, double delta, double clip,
            int examplesPerClient, int batch, double learningRate) {
        public static Settings demo() {
            return new Settings(DemoDefaults.CLIENTS, 0, DemoDefaults.ROUNDS, 8, 1e-5, 20, 2048, 64, 2e-2);
        }
    }

    private ClientDpSimulation() {}

    /** Held-out exact match after each round. */
    public static List<Double> run(Path modelDir, Settings s, Consumer<String> out) throws IOException {
        LoraConfig lora = DemoDefaults.lora();
        TrainingConfig training = DemoDefaults.training().toBuilder().setBatchSize(s.batch())
                .setLearningRate(s.learningRate()).build();
        List<Double> exactMatch = new ArrayList<>();
        SecureRandom random = new SecureRandom();
        try (NDManager root = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(modelDir, root);
                PromptTokenizer tok = PromptTokenizer.load(modelDir, model.config())) {
            List<DjlLoraTrainer> trainers = new ArrayList<>();
            for (int k = 0; k < s.clients(); k++) {
                trainers.add(new DjlLoraTrainer(model, tok,
                        DemoTask.clientSlice(k, s.clients(), s.examplesPerClient(), DemoDefaults.TASK_SEED)));
            }
            List<InstructionExample> heldOut = DemoTask.heldOut(DemoDefaults.HELD_OUT, DemoDefaults.TASK_SEED);
            DjlLoraTrainer evaluator = trainers.get(0);
            AdapterLayout layout = evaluator.layoutFor(lora);
            UpdateCoordinates coords = UpdateCoordinates.of(layout, lora.getAggregationMode());
            SimulatedDistributedDp mechanism = s.projectedClients() > 0 ? null
                    : new SimulatedDistributedDp("client-dp-simulation", job(s, lora, layout), s.clients(), random);
            FlatAdapter global = FlatAdapter.initial(layout, lora.getASeed());
            for (int r = 1; r <= s.rounds(); r++) {
                List<float[]> deltas = new ArrayList<>();
                for (DjlLoraTrainer t : trainers) {
                    TrainOutcome o = t.train(new TrainRequest("client-dp-simulation", r, global, lora, training));
                    deltas.add(o.delta());
                }
                float[] mean;
                if (s.projectedClients() > 0) {
                    mean = projected(s, coords, deltas, random);
                } else {
                    SimulatedDistributedDp.Round round = mechanism.open(r);
                    deltas.forEach(round::contribute);
                    mean = round.decode();
                }
                float[] next = global.values().clone();
                for (int i = 0; i < next.length; i++) {
                    next[i] += mean[i];
                }
                global = new FlatAdapter(layout, next);
                EvalResult e = evaluator.evaluate(global, lora.getAlpha(), heldOut, training.getMaxSeqLen());
                exactMatch.add(e.exactMatch());
                out.accept(String.format(Locale.ROOT, "round %d: held-out exact match %.1f%% (loss %.3f)", r,
                        100 * e.exactMatch(), e.meanLoss()));
            }
            for (DjlLoraTrainer t : trainers) {
                t.close();
            }
        }
        return exactMatch;
    }

    private static JobConfig job(Settings s, LoraConfig lora, AdapterLayout layout) {
        return JobConfig.newBuilder().setRounds(s.rounds()).setMinClients(s.clients()).setClientsPerRound(s.clients())
                .setLora(lora).setAdapterLayout(layout)
                .setSecureAggregation(SecureAggregationConfig.newBuilder().setDropoutFraction(0.25)
                        .setDistributedDp(DistributedDpConfig.newBuilder().setTargetEpsilon(s.epsilon())
                                .setDelta(s.delta()).setClipNorm(s.clip())))
                .build();
    }

    /** The clipped mean plus the noise of a sum of {@code projectedClients} clients' calibrated noise. */
    private static float[] projected(Settings s, UpdateCoordinates coords, List<float[]> deltas, SecureRandom random) {
        int n = s.projectedClients();
        DistributedDpParameters p = DistributedDpCalibration.calibrate(
                new DistributedDpCalibration.Target(s.epsilon(), s.delta(), s.rounds()), coords.count(), s.clip(), n, n,
                DistributedDpParameters.MASKED_WORD_BITS);
        double meanNoise = p.clientNoiseStddev() / Math.sqrt(n);
        float[] mean = new float[coords.count()];
        for (float[] d : deltas) {
            float[] b = coords.gather(d);
            double sq = 0;
            for (float v : b) {
                sq += (double) v * v;
            }
            double scale = Math.min(1, s.clip() / Math.sqrt(sq)) / deltas.size();
            for (int i = 0; i < b.length; i++) {
                mean[i] += (float) (b[i] * scale);
            }
        }
        for (int i = 0; i < mean.length; i++) {
            mean[i] += (float) (meanNoise * random.nextGaussian());
        }
        return coords.scatter(mean);
    }

    /**
     * {@code ClientDpSimulation [projectedClients] [clip] [rounds] [epsilon]}: 0 projected clients runs
     * the real mechanism over the demo's 4 clients.
     */
    public static void main(String[] args) throws IOException {
        Settings d = Settings.demo();
        Settings s = new Settings(d.clients(), args.length > 0 ? Integer.parseInt(args[0]) : 0,
                args.length > 2 ? Integer.parseInt(args[2]) : d.rounds(), args.length > 3 ? Double.parseDouble(args[3])
                        : d.epsilon(), d.delta(), args.length > 1 ? Double.parseDouble(args[1]) : d.clip(),
                d.examplesPerClient(), d.batch(), d.learningRate());
        System.out.println(s);
        run(Path.of(DemoDefaults.MODEL_DIR), s, System.out::println);
    }
}
