package io.fedlora.client.demo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.data.TokenizedExample;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.train.AdamW;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.EvalResult;
import io.fedlora.client.train.TrainingStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Produces the demo's base model from scratch: a small Llama-architecture decoder with a
 * character tokenizer, pretrained (all weights trainable, same forward as LoRA training) on the
 * {@link DemoTask#PRETRAIN_OPS} mixture. Deterministic for a seed and step count on one machine
 * (floating-point summation order may differ across CPUs). Writes {@code config.json},
 * {@code model.safetensors} (F32), {@code tokenizer.json} and {@code RECIPE.md}.
 */
public final class Pretrainer {

    /** Pretraining hyper-parameters; {@link #defaults()} made the committed checkpoint. */
    public record Options(long seed, int steps, int batchSize, double learningRate, int warmupSteps,
            double weightDecay, int maxSeqLen) {
        public Options {
            if (steps <= 0 || batchSize <= 0 || warmupSteps < 0 || !(learningRate > 0) || maxSeqLen < 2) {
                throw new IllegalArgumentException("invalid pretraining options " + this);
            }
        }

        public static Options defaults() {
            return new Options(7, 3000, 32, 2e-3, 100, 0.01, 32);
        }

        public Options withSeedAndSteps(long s, int n) {
            return new Options(s, n, batchSize, learningRate, warmupSteps, weightDecay, maxSeqLen);
        }
    }

    /** What pretraining reached. */
    public record Result(Path dir, int steps, double finalLoss, double seconds, double pretrainOpsExactMatch,
            double taskExactMatch) {}

    private Pretrainer() {}

    /** The demo model's architecture (about 0.7 M parameters, under 3 MB as F32). */
    public static LlamaConfig tinyConfig() {
        return new LlamaConfig("llama", 128, 344, 4, 4, 2, 32, 1e-5, 10000.0,
                CharTokenizerJson.vocabSize(DemoTask.ALPHABET), true, 64, false,
                CharTokenizerJson.BOS, CharTokenizerJson.EOS, CharTokenizerJson.PAD);
    }

    public static Result run(Path out, Options o, Consumer<String> progress) throws IOException {
        long start = System.nanoTime();
        Files.createDirectories(out);
        CharTokenizerJson.write(out.resolve("tokenizer.json"), DemoTask.ALPHABET);
        LlamaConfig config = tinyConfig();
        config.write(out.resolve("config.json"));
        Engine.getInstance().setRandomSeed((int) o.seed());
        SplittableRandom rnd = new SplittableRandom(o.seed());
        double lastLoss = Double.NaN;
        try (NDManager root = NDManager.newBaseManager();
                PromptTokenizer tok = PromptTokenizer.load(out, config);
                LlamaModel model = LlamaModel.random(config, o.seed(), root)) {
            model.setTrainable(true);
            List<NDArray> params = new ArrayList<>(model.weights().values());
            double ema = Double.NaN;
            try (AdamW opt = AdamW.standard(params, root, o.weightDecay(), 1.0)) {
                for (int s = 0; s < o.steps(); s++) {
                    List<TokenizedExample> batch = new ArrayList<>(o.batchSize());
                    for (int i = 0; i < o.batchSize(); i++) {
                        batch.add(tok.tokenize(DemoTask.pretrainingExample(rnd), o.maxSeqLen()));
                    }
                    float loss = TrainingStep.run(model, null, Batch.of(batch, tok.padId()), opt,
                            learningRate(o, s), root);
                    ema = Double.isNaN(ema) ? loss : 0.98 * ema + 0.02 * loss;
                    if ((s + 1) % 100 == 0 || s + 1 == o.steps()) {
                        progress.accept(String.format(Locale.ROOT, "step %d/%d loss %.4f grad-norm %.3f skipped %d (%.0f s)",
                                s + 1, o.steps(), ema, opt.lastGradientNorm(), opt.skippedSteps(),
                                (System.nanoTime() - start) / 1e9));
                    }
                }
            }
            lastLoss = ema;
            model.setTrainable(false);
            model.save(out);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // Quality check on fresh data, with the same code path the demo uses.
        double opsEm;
        double taskEm;
        try (DjlLoraTrainer t = new DjlLoraTrainer(out, List.of())) {
            SplittableRandom evalRnd = new SplittableRandom(o.seed() + 1_000_000L);
            List<InstructionExample> mix = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                mix.add(DemoTask.pretrainingExample(evalRnd));
            }
            EvalResult ops = t.evaluate(null, 1, mix, o.maxSeqLen());
            EvalResult task = t.evaluate(null, 1, DemoTask.heldOut(200, o.seed() + 2), o.maxSeqLen());
            opsEm = ops.exactMatch();
            taskEm = task.exactMatch();
        }
        Result r = new Result(out, o.steps(), lastLoss, seconds, opsEm, taskEm);
        Files.writeString(out.resolve("RECIPE.md"), recipe(o, r));
        progress.accept(String.format(Locale.ROOT,
                "done in %.0f s: loss %.4f, exact match %.1f%% on the pretraining ops, %.1f%% on '%s'", seconds,
                lastLoss, 100 * opsEm, 100 * taskEm, DemoTask.TASK));
        return r;
    }

    /** Linear warm-up, then cosine decay to a tenth of the peak. */
    static double learningRate(Options o, int step) {
        if (step < o.warmupSteps()) {
            return o.learningRate() * (step + 1) / o.warmupSteps();
        }
        double p = (double) (step - o.warmupSteps()) / Math.max(1, o.steps() - o.warmupSteps());
        return o.learningRate() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
    }

    private static String recipe(Options o, Result r) {
        LlamaConfig c = tinyConfig();
        return String.format(Locale.ROOT, """
                # fedlora-tiny

                A small Llama-architecture base model that fedlora makes itself, for the demo.
                Produced by `fedlora model pretrain --out DIR --seed %d --steps %d`
                (`io.fedlora.client.demo.Pretrainer`, options %s).

                - Architecture: `llama`, hidden %d, %d layers, %d heads / %d kv heads (head_dim %d),
                  intermediate %d, vocab %d (character level), max positions %d, tied embeddings,
                  %d parameters, float32.
                - Tokenizer: `tokenizer.json` in the Hugging Face tokenizers format, WordLevel over single
                  characters with a Split pre-tokenizer; special tokens `<pad>`=0, `<s>`=1, `</s>`=2, `<unk>`=3.
                - Data: generated on the fly, never stored: random lower-case words of %d-%d letters under
                  the operations %s, prompt `op\\nword\\n`, answer the result then `</s>`; loss on
                  answer tokens only.
                - Training: AdamW (betas 0.9/0.999, weight decay %s, global grad-norm clip 1.0), batch %d,
                  peak lr %s, %d warm-up steps then cosine decay to 10%%, all weights trainable.

                Result: final loss %.4f after %d steps in %.0f s; held-out exact match %.1f%% on the
                pretraining operations and %.1f%% on the demo fine-tuning task `%s`, which pretraining never
                shows.
                """, o.seed(), o.steps(), o, c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                c.numKeyValueHeads(), c.headDim(), c.intermediateSize(), c.vocabSize(), c.maxPositionEmbeddings(),
                paramCount(c), DemoTask.MIN_WORD, DemoTask.MAX_WORD, DemoTask.PRETRAIN_OPS, o.weightDecay(),
                o.batchSize(), o.learningRate(), o.warmupSteps(), r.finalLoss(), r.steps(), r.seconds(),
                100 * r.pretrainOpsExactMatch(), 100 * r.taskExactMatch(), DemoTask.TASK);
    }

    private static long paramCount(LlamaConfig c) {
        return LlamaModel.expectedShapes(c).values().stream()
                .mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum();
    }

    /** {@code Pretrainer OUT_DIR [seed] [steps]}: what the CLI's {@code model pretrain} runs. */
    public static void main(String[] args) throws IOException {
        Options o = Options.defaults();
        if (args.length > 2) {
            o = o.withSeedAndSteps(Long.parseLong(args[1]), Integer.parseInt(args[2]));
        } else if (args.length > 1) {
            o = o.withSeedAndSteps(Long.parseLong(args[1]), o.steps());
        }
        run(Path.of(args[0]), o, System.out::println);
    }
}
