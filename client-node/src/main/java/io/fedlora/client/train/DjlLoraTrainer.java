package io.fedlora.client.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.data.Batch;
import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.data.TokenizedDataset;
import io.fedlora.client.data.TokenizedExample;
import io.fedlora.client.data.TrainingData;
import io.fedlora.client.data.TrainingExample;
import io.fedlora.client.model.BaseQuantization;
import io.fedlora.client.model.ComputeDevice;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.AggregationMode;
import io.fedlora.proto.v1.LoraConfig;
import io.fedlora.proto.v1.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LoRA training of a Llama-family model with DJL (PyTorch engine). The base model and tokenizer
 * are loaded once and reused across rounds; each round builds fresh A/B arrays from the start
 * adapter. In {@link AggregationMode#AGGREGATION_MODE_EXACT_FROZEN_A} only B learns, so the
 * delta's A part is exactly zero; in {@code INEXACT_BOTH} both factors learn.
 *
 * <p>Not thread-safe: the engine's gradient recording is per thread and only one gradient
 * collector may be open per JVM, so a node trains one round at a time.
 */
public final class DjlLoraTrainer implements LocalTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(DjlLoraTrainer.class);
    private static final int EVAL_BATCH = 64;

    private final NDManager manager;
    private final LlamaModel model;
    private final PromptTokenizer tokenizer;
    private final boolean ownsModel;
    private final List<TrainingExample> examples;
    private final Map<Integer, TokenizedDataset> tokenizedByLength = new HashMap<>();
    private List<TrainingExample> heldOut = List.of();
    private DpSgdConfig dp;
    private DpSgdConfig lastTaskDp;
    private long lastTaskDpSteps;
    private Long dpTestSeed;
    /** DP-SGD steps taken by this trainer (all rounds, this process) with the current settings. */
    private long dpSteps;
    private StepOptions stepOptions = StepOptions.DEFAULT;
    private boolean packing;

    /**
     * Loads the model and tokenizer and checks that the tokenizer can take the data (for chat data:
     * a chat template that renders it); a problem names the data file, line and field.
     */
    public DjlLoraTrainer(Path modelDir, TrainingData data) throws IOException {
        this(modelDir, data, BaseQuantization.NONE);
    }

    /** As {@link #DjlLoraTrainer(Path, TrainingData)}, with the frozen base held as {@code quantization} says. */
    public DjlLoraTrainer(Path modelDir, TrainingData data, BaseQuantization quantization) throws IOException {
        this(modelDir, data.examples(), quantization);
        try {
            tokenizer.check(data);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Loads the model and tokenizer from a Hugging Face directory; {@code examples} is the local dataset. */
    public DjlLoraTrainer(Path modelDir, List<? extends TrainingExample> examples) throws IOException {
        this(modelDir, examples, BaseQuantization.NONE);
    }

    /** As {@link #DjlLoraTrainer(Path, List)}, with the frozen base held as {@code quantization} says. */
    public DjlLoraTrainer(Path modelDir, List<? extends TrainingExample> examples, BaseQuantization quantization)
            throws IOException {
        NDManager m = ComputeDevice.newManager();
        LOG.info("model tensors on {}, base weights {}", m.getDevice(), quantization.label());
        try {
            LlamaModel loaded = LlamaModel.load(modelDir, m, quantization);
            this.tokenizer = PromptTokenizer.load(modelDir, loaded.config());
            this.model = loaded;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        this.manager = m;
        this.ownsModel = true;
        this.examples = List.copyOf(examples);
    }

    /**
     * Shares an already loaded model and tokenizer (in-process simulations of several clients);
     * the caller keeps ownership of both.
     */
    public DjlLoraTrainer(LlamaModel model, PromptTokenizer tokenizer, List<? extends TrainingExample> examples) {
        this.manager = model.manager().newSubManager();
        this.model = model;
        this.tokenizer = tokenizer;
        this.ownsModel = false;
        this.examples = List.copyOf(examples);
    }

    /**
     * Turns record-level DP-SGD on for every later round (null turns it off). Each local step then
     * Poisson-samples the local examples with rate q (SecureRandom), clips per-example gradients,
     * adds Gaussian noise from {@link GaussianNoise#secure()} and divides by q·N; the request's
     * {@code batch_size} is not used (the expected batch is q·N, micro-batches at most
     * {@code maxPhysicalBatch}). {@code local_steps} is the number of DP steps.
     */
    public DjlLoraTrainer withDp(DpSgdConfig dp) {
        if (!java.util.Objects.equals(dp, this.dp)) {
            dpSteps = 0;
        }
        this.dp = dp;
        this.dpTestSeed = null;
        return this;
    }

    /**
     * How each training step trades memory for time (loss chunk, layer checkpointing); the gradients,
     * and so the round's result, are the same with any of them.
     */
    public DjlLoraTrainer withStepOptions(StepOptions options) {
        this.stepOptions = java.util.Objects.requireNonNull(options);
        return this;
    }

    /**
     * Packs each step's examples several to a row ({@link Batch#packed}: rows of up to 8 × max_seq_len
     * positions, within the model's max positions; attention and rotary positions per example, so a row
     * may be longer than max_seq_len): the same loss and gradient as one
     * example per row, with less padding to compute. Non-private steps only: DP-SGD needs one example
     * per row for its per-example gradients and never packs.
     */
    public DjlLoraTrainer withPacking(boolean on) {
        this.packing = on;
        return this;
    }

    /**
     * Examples kept out of training, on which {@link #evaluate(TrainRequest)} scores each round's
     * start adapter (none: the node reports no held-out score).
     */
    public DjlLoraTrainer withHeldOut(List<? extends TrainingExample> heldOut) {
        this.heldOut = List.copyOf(heldOut);
        return this;
    }

    /** "f32" (F16/BF16 checkpoints are widened on load) or "nf4". */
    @Override
    public String basePrecision() {
        return model.quantization() == io.fedlora.client.model.BaseQuantization.NONE ? "f32"
                : model.quantization().label();
    }

    @Override
    public java.util.Optional<EvalResult> evaluate(TrainRequest request) {
        if (heldOut.isEmpty()) {
            return java.util.Optional.empty();
        }
        int maxSeqLen = request.training().getMaxSeqLen() > 0 ? request.training().getMaxSeqLen()
                : model.config().maxPositionEmbeddings();
        return java.util.Optional.of(evaluate(request.startAdapter(), request.lora().getAlpha(), heldOut, maxSeqLen));
    }

    /** DP with a seeded sampler and noise stream: reproducible, for tests only, NOT private. */
    DjlLoraTrainer withDpSeededForTesting(DpSgdConfig dp, long seed) {
        this.dp = dp;
        this.dpTestSeed = seed;
        return this;
    }

    /**
     * DP-SGD steps this trainer has taken with the current settings (all rounds so far, this
     * process only: a restarted node must carry the count over itself).
     */
    public long dpSteps() {
        return dpSteps;
    }

    /**
     * ε at {@code delta} for every DP step this trainer has taken (the RDP accountant); covers the
     * released updates only, not the loss and example count a client reports.
     */
    public double dpEpsilon(double delta) {
        if (dp == null) {
            throw new IllegalStateException("DP is off");
        }
        return epsilon(dp, dpSteps, delta);
    }

    private static double epsilon(DpSgdConfig dp, long steps, double delta) {
        if (steps == 0) {
            return 0;
        }
        return io.fedlora.crypto.privacy.RdpAccountant.create().compose(dp.samplingRate(), dp.noiseMultiplier(), steps)
                .epsilon(delta);
    }

    /** Always: a task's {@code training.dp} turns DP-SGD on for that round (see {@link #train}). */
    @Override
    public boolean supportsDp() {
        return true;
    }

    /** The DP settings, or null when training is not private. */
    public DpSgdConfig dp() {
        return dp;
    }

    public LlamaModel model() {
        return model;
    }

    public PromptTokenizer tokenizer() {
        return tokenizer;
    }

    public int numExamples() {
        return examples.size();
    }

    /** The adapter layout this model gives a LoRA config (PEFT names, layer-major, A then B). */
    public AdapterLayout layoutFor(LoraConfig lora) {
        return LoraLayouts.of(model.config().loraSites(), lora.getRank(), lora.getTargetModulesList());
    }

    @Override
    public TrainOutcome train(TrainRequest request) {
        TrainingConfig requested = request.training();
        if (!requested.hasDp()) {
            return trainOnce(request);
        }
        // The task asks for DP-SGD: this round runs private whatever the trainer was set to. Steps are
        // counted per task configuration across rounds (the node's ledger is the authoritative record).
        var d = requested.getDp();
        DpSgdConfig fromTask = new DpSgdConfig(d.getNoiseMultiplier(), d.getClipNorm(), d.getSamplingRate(),
                Math.max(1, requested.getBatchSize()));
        if (!fromTask.equals(lastTaskDp)) {
            lastTaskDp = fromTask;
            lastTaskDpSteps = 0;
        }
        DpSgdConfig configured = dp;
        long configuredSteps = dpSteps;
        dp = fromTask;
        dpSteps = lastTaskDpSteps;
        try {
            return trainOnce(request);
        } finally {
            lastTaskDpSteps = dpSteps;
            dp = configured;
            dpSteps = configuredSteps;
        }
    }

    private TrainOutcome trainOnce(TrainRequest request) {
        long start = System.nanoTime();
        LoraConfig lora = request.lora();
        TrainingConfig tc = request.training();
        validate(lora, tc);
        if (examples.isEmpty()) {
            throw new IllegalStateException("no local training examples");
        }
        FlatAdapter startAdapter = request.startAdapter();
        AdapterLayout expected = layoutFor(lora);
        if (!expected.equals(startAdapter.layout())) {
            throw new IllegalArgumentException("start adapter layout does not match rank " + lora.getRank()
                    + " and targets " + lora.getTargetModulesList() + " on this model");
        }
        boolean exact = lora.getAggregationMode() != AggregationMode.AGGREGATION_MODE_INEXACT_BOTH;
        TokenizedDataset data = tokenized(tc.getMaxSeqLen());
        long seed = tc.getSeed() + request.round();
        Engine.getInstance().setRandomSeed((int) (seed ^ (seed >>> 32))); // LoRA dropout masks
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] before = startAdapter.values();
        double lossSum = 0;
        float[] after;
        try (NDManager round = manager.newSubManager();
                LoraAdapters adapters = LoraAdapters.create(model, startAdapter, lora.getAlpha(), lora.getDropout(), round)) {
            List<NDArray> trainable = new ArrayList<>(adapters.factors(false));
            if (!exact) {
                trainable.addAll(adapters.factors(true));
            }
            if (dp != null) {
                lossSum = trainDp(adapters, trainable, data, tc, lora.getDropout(), round, request.round());
            } else {
                trainable.forEach(p -> p.setRequiresGradient(true));
                try (AdamW opt = AdamW.standard(trainable, round, 0.0, 1.0).withProximal(tc.getProximalMu())) {
                    for (int s = 0; s < tc.getLocalSteps(); s++) {
                        int[] chosen = sample(rnd, data.size(), tc.getBatchSize());
                        Batch batch = packing ? data.packedBatch(chosen, packedRowLimit(tc)) : data.batch(chosen);
                        lossSum += TrainingStep.run(model, adapters, batch, opt, tc.getLearningRate(), round, stepOptions);
                    }
                    if (opt.skippedSteps() > 0) {
                        LOG.warn("{} of {} steps skipped: gradient not finite", opt.skippedSteps(), tc.getLocalSteps());
                    }
                }
            }
            after = adapters.toFlat().values();
        }
        float[] delta = new float[before.length];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = after[i] - before[i];
        }
        if (exact) {
            zeroA(startAdapter.layout(), delta);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double meanLoss = lossSum / tc.getLocalSteps();
        LOG.info("local training: {} steps, mean loss {}, {} s", tc.getLocalSteps(), String.format("%.4f", meanLoss),
                String.format("%.2f", seconds));
        return new TrainOutcome(delta, examples.size(), meanLoss, tc.getLocalSteps(), seconds);
    }

    /**
     * DP-SGD steps; returns the sum over steps of the sample's mean loss (steps with an empty sample
     * count with the previous step's loss, so the reported mean stays finite). The loss is computed on
     * the raw data and is NOT covered by the DP guarantee.
     */
    private double trainDp(LoraAdapters adapters, List<NDArray> trainable, TokenizedDataset data, TrainingConfig tc,
            double dropout, NDManager round, long roundNo) {
        java.util.Random sampler = dpTestSeed == null ? new java.security.SecureRandom()
                : new java.util.Random(dpTestSeed + roundNo);
        GaussianNoise noise = dpTestSeed == null ? GaussianNoise.secure()
                : GaussianNoise.seededForTesting(dpTestSeed * 31 + roundNo);
        int n = data.size();
        double expected = dp.samplingRate() * n;
        double lossSum = 0;
        double last = 0;
        int empty = 0;
        int clipped = 0;
        int seen = 0;
        // Clip norm 0 in the optimizer: DP clipping happens per example; no second clip.
        try (AdamW opt = AdamW.standard(trainable, round, 0.0, 0.0).withProximal(tc.getProximalMu())) {
            for (int s = 0; s < tc.getLocalSteps(); s++) {
                int[] sample = DpSgdStep.poissonSample(sampler, n, dp.samplingRate());
                DpSgdStep.Stats st = DpSgdStep.run(model, adapters, trainable, sample, data::batch, expected, dp,
                        dropout, noise, opt, tc.getLearningRate(), round, stepOptions);
                if (st.sampleSize() == 0) {
                    empty++;
                } else {
                    last = st.meanLoss();
                }
                lossSum += last;
                dpSteps++;
                clipped += st.clippedExamples();
                seen += st.sampleSize();
            }
            if (opt.skippedSteps() > 0) {
                LOG.warn("{} of {} DP steps skipped: gradient not finite", opt.skippedSteps(), tc.getLocalSteps());
            }
        }
        LOG.info("DP-SGD: {} steps, q={}, sigma={}, C={}, {} examples sampled ({} clipped), {} empty samples;"
                + " {} DP steps so far: epsilon {} at delta 1e-5", tc.getLocalSteps(), dp.samplingRate(),
                dp.noiseMultiplier(), dp.clipNorm(), seen, clipped, empty, dpSteps,
                String.format("%.3f", epsilon(dp, dpSteps, 1e-5)));
        return lossSum;
    }

    /** How long a packed row may be: rotary positions restart per example, so only the model's table bounds it. */
    private int packedRowLimit(TrainingConfig tc) {
        return Math.min(model.config().maxPositionEmbeddings(), 8 * tc.getMaxSeqLen());
    }

    private static void validate(LoraConfig lora, TrainingConfig tc) {
        if (lora.getRank() <= 0) {
            throw new IllegalArgumentException("lora rank must be positive, got " + lora.getRank());
        }
        if (!(lora.getAlpha() > 0)) {
            throw new IllegalArgumentException("lora alpha must be positive, got " + lora.getAlpha());
        }
        if (tc.getLocalSteps() <= 0 || tc.getBatchSize() <= 0) {
            throw new IllegalArgumentException("local_steps and batch_size must be positive, got "
                    + tc.getLocalSteps() + " and " + tc.getBatchSize());
        }
        if (!(tc.getLearningRate() > 0)) {
            throw new IllegalArgumentException("learning_rate must be positive, got " + tc.getLearningRate());
        }
        if (!(tc.getProximalMu() >= 0) || !Double.isFinite(tc.getProximalMu())) {
            throw new IllegalArgumentException("proximal_mu must be a finite number >= 0, got " + tc.getProximalMu());
        }
        if (tc.getMaxSeqLen() < 2) {
            throw new IllegalArgumentException("max_seq_len must be at least 2, got " + tc.getMaxSeqLen());
        }
    }

    /** A's entries are exactly zero in exact mode (A was frozen; this makes it so bit for bit). */
    private static void zeroA(AdapterLayout layout, float[] delta) {
        int off = 0;
        for (var t : layout.getTensorsList()) {
            int n = (int) io.fedlora.adapter.TensorData.elementCount(FlatAdapter.shape(t));
            if (LoraLayouts.isLoraA(t)) {
                java.util.Arrays.fill(delta, off, off + n, 0f);
            }
            off += n;
        }
    }

    /** {@code k} distinct indices (all of them, shuffled with repeats, when the dataset is smaller). */
    static int[] sample(SplittableRandom rnd, int n, int k) {
        int[] out = new int[k];
        if (n < k) {
            for (int i = 0; i < k; i++) {
                out[i] = rnd.nextInt(n);
            }
            return out;
        }
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(n - i);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
            out[i] = perm[i];
        }
        return out;
    }

    private TokenizedDataset tokenized(int maxSeqLen) {
        return tokenizedByLength.computeIfAbsent(maxSeqLen, len -> tokenizer.tokenizeAll(examples, len));
    }

    /**
     * Exact match and mean loss per trained token (answer, assistant or text tokens, by form) of the
     * base model with an adapter (or none) on examples, with teacher-forced batched forwards.
     * {@code maxSeqLen} bounds the sequence length.
     */
    public EvalResult evaluate(FlatAdapter adapter, double alpha, List<? extends TrainingExample> heldOut,
            int maxSeqLen) {
        TokenizedDataset data = tokenizer.tokenizeAll(heldOut, Math.min(maxSeqLen, model.config().maxPositionEmbeddings()));
        ai.djl.pytorch.jni.JniUtils.setGradMode(false); // per thread: never record a graph when scoring
        int exact = 0;
        double nll = 0;
        long tokens = 0;
        try (NDManager eval = manager.newSubManager();
                LoraAdapters adapters = adapter == null ? null
                        : LoraAdapters.create(model, adapter, alpha, 0.0, eval)) {
            for (int from = 0; from < data.size(); from += EVAL_BATCH) {
                int to = Math.min(data.size(), from + EVAL_BATCH);
                int[] idx = new int[to - from];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = from + i;
                }
                Batch batch = data.batch(idx);
                boolean[] ok = new boolean[idx.length];
                try (NDManager step = eval.newSubManager()) {
                    nll += LmLoss.nllSum(model, adapters, batch, ok, stepOptions.lossChunk(), step);
                }
                tokens += batch.answerTokens();
                for (int i = 0; i < ok.length; i++) {
                    if (ok[i] && !data.examples().get(idx[i]).truncated()) {
                        exact++;
                    }
                }
            }
        }
        int n = data.size();
        return new EvalResult(n == 0 ? 0 : (double) exact / n, exact, n, tokens == 0 ? 0 : nll / tokens,
                tokens, data.truncatedCount());
    }

    /** Exact match with the default sequence bound (the model's max positions). */
    public EvalResult exactMatch(FlatAdapter adapter, double alpha, List<? extends TrainingExample> heldOut) {
        return evaluate(adapter, alpha, heldOut, model.config().maxPositionEmbeddings());
    }

    /** Greedy completion of an example's prompt (for showing samples), up to {@code maxNew} tokens or EOS. */
    public String complete(FlatAdapter adapter, double alpha, InstructionExample example, int maxNew) {
        TokenizedExample t = tokenizer.tokenize(new InstructionExample(example.instruction(), example.input(), ""),
                model.config().maxPositionEmbeddings());
        long[] prompt = java.util.Arrays.copyOf(t.ids(), t.promptLength());
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        List<Long> ids = new ArrayList<>();
        for (long id : prompt) {
            ids.add(id);
        }
        List<Long> generated = new ArrayList<>();
        try (NDManager gen = manager.newSubManager();
                LoraAdapters adapters = adapter == null ? null : LoraAdapters.create(model, adapter, alpha, 0.0, gen)) {
            for (int i = 0; i < maxNew && ids.size() < model.config().maxPositionEmbeddings(); i++) {
                try (NDManager step = gen.newSubManager()) {
                    long[] arr = ids.stream().mapToLong(Long::longValue).toArray();
                    NDArray logits = model.forward(io.fedlora.client.model.OwnedArrays.of(step, arr, new ai.djl.ndarray.types.Shape(1, arr.length)),
                            adapters, false);
                    long next = logits.get("0, -1").argMax().getLong();
                    if (next == tokenizer.eosId()) {
                        break;
                    }
                    ids.add(next);
                    generated.add(next);
                }
            }
        }
        return tokenizer.decode(generated.stream().mapToLong(Long::longValue).toArray());
    }

    @Override
    public void close() {
        if (ownsModel) {
            tokenizer.close();
        }
        manager.close(); // when owned, the model's manager is a child of this one

    }
}
