package io.fedlora.client.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.client.data.Batch;
import io.fedlora.client.demo.Pretrainer;
import io.fedlora.client.model.ComputeDevice;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.proto.v1.AdapterLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Speed of LoRA training steps (exact mode: B trainable) on random token batches, for
 * {@code fedlora bench train --json}. Every target position carries loss, so the number is for
 * full-length sequences.
 */
public final class TrainingBenchmark {

    /** @param modelDir a Hugging Face model directory, or null for the demo architecture with random weights */
    /**
     * @param dp when true, each step is a DP-SGD step ({@link DpSgdStep}) on the same fixed batch:
     *     per-example gradients, clipping to C = 1, N(0, σ²C²) noise with σ = 1 from
     *     {@link GaussianNoise#secure()}, divided by the batch size, AdamW. No Poisson sampling (the
     *     batch size stays fixed so the two modes do identical model work); the sampling itself costs
     *     nothing measurable next to a step.
     */
    public record Config(Path modelDir, int batchSize, int seqLen, int rank, List<String> targets, int warmupSteps,
            int measuredSteps, boolean dp, StepOptions step) {

        /** Non-private steps with the default step options (the original signature). */
        public Config(Path modelDir, int batchSize, int seqLen, int rank, List<String> targets, int warmupSteps,
                int measuredSteps) {
            this(modelDir, batchSize, seqLen, rank, targets, warmupSteps, measuredSteps, false, StepOptions.DEFAULT);
        }

        public Config withDp(boolean on) {
            return new Config(modelDir, batchSize, seqLen, rank, targets, warmupSteps, measuredSteps, on, step);
        }

        public Config withStepOptions(StepOptions options) {
            return new Config(modelDir, batchSize, seqLen, rank, targets, warmupSteps, measuredSteps, dp, options);
        }

        public Config {
            targets = List.copyOf(targets);
            java.util.Objects.requireNonNull(step);
            if (batchSize <= 0 || seqLen < 2 || rank <= 0 || warmupSteps < 0 || measuredSteps <= 0) {
                throw new IllegalArgumentException("invalid benchmark config " + this);
            }
        }

        public static Config defaults() {
            return new Config(null, 16, 32, 8, LoraTarget.DEFAULT, 3, 20);
        }
    }

    /**
     * Wall time per step, tokens per second (batch × seqLen per step) and the process's peak RSS; the
     * mean time per measured step of each phase (non-private steps only; zero for DP-SGD).
     */
    public record Result(String model, long parameters, int batchSize, int seqLen, int rank, int steps,
            double msPerStep, double tokensPerSecond, double peakRssMb, double forwardMs, double lossMs,
            double backwardMs, double optimizerMs) {}

    private TrainingBenchmark() {}

    /** Called after every step, warm-up ones included, with that step's wall time. */
    @FunctionalInterface
    public interface StepListener {
        void stepDone(int step, int totalSteps, boolean warmup, double seconds);

        StepListener NONE = (step, total, warmup, seconds) -> { };
    }

    public static Result run(Config c) throws IOException {
        try (NDManager root = ComputeDevice.newManager()) {
            LlamaModel model = c.modelDir() == null ? LlamaModel.random(Pretrainer.tinyConfig(), 1, root)
                    : LlamaModel.load(c.modelDir(), root);
            return run(model, c.modelDir() == null ? "builtin-tiny-random" : c.modelDir().toString(), c,
                    StepListener.NONE);
        }
    }

    /** Steps on an already loaded model ({@code c.modelDir()} is not read); the caller keeps the model. */
    public static Result run(LlamaModel model, String modelName, Config c, StepListener listener) {
        try (NDManager root = NDManager.newBaseManager()) {
            LlamaConfig cfg = model.config();
            if (c.seqLen() > cfg.maxPositionEmbeddings()) {
                throw new IllegalArgumentException("seq len " + c.seqLen() + " exceeds max_position_embeddings "
                        + cfg.maxPositionEmbeddings());
            }
            AdapterLayout layout = LoraLayouts.of(cfg.loraSites(), c.rank(), c.targets());
            SplittableRandom rnd = new SplittableRandom(1);
            long start = System.nanoTime();
            try (LoraAdapters adapters = LoraAdapters.create(model, FlatAdapter.initial(layout, 1), 2.0 * c.rank(), 0,
                    root)) {
                List<NDArray> trainable = adapters.factors(false);
                if (!c.dp()) {
                    trainable.forEach(p -> p.setRequiresGradient(true));
                }
                DpSgdConfig dp = new DpSgdConfig(1.0, 1.0, 1.0, c.batchSize());
                GaussianNoise noise = GaussianNoise.secure();
                int[] all = new int[c.batchSize()];
                for (int i = 0; i < all.length; i++) {
                    all[i] = i;
                }
                int total = c.warmupSteps() + c.measuredSteps();
                long[] phaseNs = new long[4];
                try (AdamW opt = AdamW.standard(trainable, root, 0, c.dp() ? 0 : 1.0)) {
                    for (int s = 0; s < total; s++) {
                        if (s == c.warmupSteps()) {
                            start = System.nanoTime();
                        }
                        long stepStart = System.nanoTime();
                        Batch batch = randomBatch(rnd, c, cfg.vocabSize());
                        if (c.dp()) {
                            DpSgdStep.run(model, adapters, trainable, all, idx -> batch, c.batchSize(), dp, 0, noise,
                                    opt, 1e-4, root, c.step());
                        } else {
                            StepPhases p = TrainingStep.runTimed(model, adapters, batch, opt, 1e-4, root, c.step());
                            if (s >= c.warmupSteps()) {
                                phaseNs[0] += p.forwardNs();
                                phaseNs[1] += p.lossNs();
                                phaseNs[2] += p.backwardNs();
                                phaseNs[3] += p.optimizerNs();
                            }
                        }
                        listener.stepDone(s + 1, total, s < c.warmupSteps(), (System.nanoTime() - stepStart) / 1e9);
                    }
                    double ms = (System.nanoTime() - start) / 1e6 / c.measuredSteps();
                    double perStep = 1e6 * c.measuredSteps();
                    return new Result(modelName, model.parameterCount(), c.batchSize(), c.seqLen(), c.rank(),
                            c.measuredSteps(), ms, c.batchSize() * (double) c.seqLen() / (ms / 1000), peakRssMb(),
                            phaseNs[0] / perStep, phaseNs[1] / perStep, phaseNs[2] / perStep, phaseNs[3] / perStep);
                }
            }
        }
    }

    private static Batch randomBatch(SplittableRandom rnd, Config c, int vocab) {
        int n = c.batchSize() * c.seqLen();
        long[] in = new long[n];
        long[] tgt = new long[n];
        for (int i = 0; i < n; i++) {
            in[i] = rnd.nextInt(vocab);
            tgt[i] = rnd.nextInt(vocab);
        }
        float[] mask = new float[n];
        Arrays.fill(mask, 1f);
        return new Batch(in, tgt, mask, c.batchSize(), c.seqLen());
    }

    /** VmHWM from /proc/self/status in MiB, or -1 where there is no procfs. */
    public static double peakRssMb() {
        return procStatusMb("VmHWM:");
    }

    /**
     * Resets the kernel's peak resident set counter (VmHWM) to the current resident set by writing 5 to
     * {@code /proc/self/clear_refs} (Linux 4.0+), so that a later {@link #peakRssMb} is the peak of what
     * ran in between; false where the reset is refused (the peak is then the process's since start).
     */
    public static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A memory field of /proc/self/status (VmRSS:, VmHWM:, ...) in MiB, or -1 where there is no procfs. */
    public static double procStatusMb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
