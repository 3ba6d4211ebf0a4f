package io.fedlora.client.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.client.data.JsonlExamples;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.data.TrainingData;
import io.fedlora.client.data.TrainingExample;
import io.fedlora.client.demo.RandomModels;
import io.fedlora.client.model.Directories;
import io.fedlora.client.model.BaseQuantization;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.client.train.EvalResult;
import io.fedlora.client.train.StepOptions;
import io.fedlora.client.train.TrainingBenchmark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code fedlora bench model}: what a realistic checkpoint costs on this machine. Generates (or reuses)
 * a sharded random Llama checkpoint, then measures
 * <ol>
 *   <li>loading, in a fresh child JVM ({@link LoadProbe}) so the resident memory is the load's own:
 *       peak resident set minus the JVM and engine baseline of that same process, as a ratio to the
 *       weights' float32 size (goal: at most 1.3, i.e. no second copy of the weights);
 *   <li>LoRA training throughput (tokens/s, warm-up steps excluded) on random token batches;
 *   <li>{@code fedlora model score} throughput (tokens/s of teacher-forced forward) on generated text.
 * </ol>
 * Training and scoring run in a child JVM per base precision ({@link MeasureProbe}), on one load of the
 * model; each phase's {@code peak_rss_mb} is the resident-set peak of that phase alone (the kernel's
 * counter is reset as it starts), so an NF4 run's peaks are never those of its float32 baseline.
 *
 * <p>Because the machine may be shared, each throughput comes with a yardstick measured in the same
 * run just before it: the engine's float32 matmul rate at the model's own shapes ({@code gemm_gflops}),
 * and the phase's estimated arithmetic rate as a fraction of it ({@code of_gemm}). The estimate counts
 * matmul work only: forward {@code 2·(linear weights + vocab·hidden) + 4·layers·T·heads·head_dim}
 * FLOPs per token (attention scores and values over the full T×T square, as computed); a LoRA step
 * twice that, since with frozen weights the backward pass computes activation gradients only.
 */
public final class ModelBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Marks a directory this benchmark generated, with what it was generated from; a dot file, so
     * {@code model merge} does not copy it into a merged checkpoint.
     */
    public static final String MARKER = ".fedlora-bench.json";

    /** Checkpoint presets. */
    public enum Size {
        /** About 100 M parameters: Llama layout, 12 layers, hidden 768, GQA 12/4 heads, vocab 32,000, tied embeddings. */
        M100(new LlamaConfig("llama", 768, 2048, 12, 12, 4, 64, 1e-5, 10000.0, 32000, true, 512, false, 1, 2, 0)),
        /** About 1 M parameters, for tests. */
        M1(new LlamaConfig("llama", 128, 344, 4, 4, 2, 32, 1e-5, 10000.0, 2048, true, 512, false, 1, 2, 0));

        private final LlamaConfig config;

        Size(LlamaConfig config) {
            this.config = config;
        }

        public LlamaConfig config() {
            return config;
        }

        public String label() {
            return name().substring(1).toLowerCase(Locale.ROOT) + "m";
        }
    }

    /**
     * @param dir the checkpoint: generated here when absent or empty, reused when this benchmark made it
     *     with the same size, dtype and seed, benchmarked as is when it holds any other checkpoint
     * @param maxShardBytes shard limit when generating
     */
    public record Options(Path dir, Size size, SafetensorsWriter.Dtype dtype, long seed, long maxShardBytes,
            int batchSize, int seqLen, int rank, List<String> targets, int warmupSteps, int measuredSteps,
            int scoreExamples, boolean train, boolean score, BaseQuantization quantization, StepOptions step,
            boolean demoPacking) {

        public Options(Path dir, Size size, SafetensorsWriter.Dtype dtype, long seed, long maxShardBytes, int batchSize,
                int seqLen, int rank, List<String> targets, int warmupSteps, int measuredSteps, int scoreExamples,
                boolean train, boolean score) {
            this(dir, size, dtype, seed, maxShardBytes, batchSize, seqLen, rank, targets, warmupSteps, measuredSteps,
                    scoreExamples, train, score, BaseQuantization.NONE, StepOptions.DEFAULT, false);
        }

        /** The same with the base held as {@code q} (a quantised run also measures float32 as its baseline). */
        public Options withQuantization(BaseQuantization q) {
            return new Options(dir, size, dtype, seed, maxShardBytes, batchSize, seqLen, rank, targets, warmupSteps,
                    measuredSteps, scoreExamples, train, score, q, step, demoPacking);
        }

        /** The same with training steps run as {@code options} say (loss chunk, layer checkpointing). */
        public Options withStepOptions(StepOptions options) {
            return new Options(dir, size, dtype, seed, maxShardBytes, batchSize, seqLen, rank, targets, warmupSteps,
                    measuredSteps, scoreExamples, train, score, quantization, options, demoPacking);
        }

        /** The same, also measuring training on the demo task's data with and without packing (or not). */
        public Options withDemoPacking(boolean on) {
            return new Options(dir, size, dtype, seed, maxShardBytes, batchSize, seqLen, rank, targets, warmupSteps,
                    measuredSteps, scoreExamples, train, score, quantization, step, on);
        }

        public Options {
            targets = List.copyOf(targets);
            java.util.Objects.requireNonNull(step);
            if (batchSize <= 0 || seqLen < 2 || rank <= 0 || warmupSteps < 0 || measuredSteps <= 0
                    || scoreExamples <= 0 || maxShardBytes <= 0) {
                throw new IllegalArgumentException("invalid model benchmark options " + this);
            }
        }

        /** The settings: ~100 M parameters in BF16 shards, batch 8, sequence 256, rank 8 on q/v. */
        public static Options defaults(Path dir) {
            return new Options(dir, Size.M100, SafetensorsWriter.Dtype.BF16, 1, 100_000_000L, 8, 256, 8,
                    LoraTarget.DEFAULT, 1, 3, 32, true, true);
        }
    }

    private ModelBenchmark() {}

    /** Runs every enabled phase; {@code progress} gets one line per step (for stderr). Returns one JSON object. */
    public static ObjectNode run(Options o, Consumer<String> progress) throws IOException, InterruptedException {
        long started = System.nanoTime();
        ObjectNode out = JSON.createObjectNode();
        out.put("bench", "model");
        out.put("load_average_at_start", loadAverage());
        out.put("cores", Runtime.getRuntime().availableProcessors());

        long t = System.nanoTime();
        String origin = prepare(o, progress);
        out.put("dir", o.dir().toAbsolutePath().toString());
        out.put("checkpoint", origin);
        if (origin.equals("generated")) {
            out.put("generate_s", round3((System.nanoTime() - t) / 1e9));
        }
        LlamaConfig config = LlamaConfig.readDir(o.dir());
        List<Path> weightFiles = CheckpointFiles.weightFiles(o.dir());
        long diskBytes = 0;
        for (Path f : weightFiles) {
            diskBytes += Files.size(f);
        }
        out.put("model_type", config.modelType());
        out.put("weight_files", weightFiles.size());
        out.put("disk_bytes", diskBytes);

        progress.accept("load: child JVM measuring load time and resident memory...");
        out.put("base_quantization", o.quantization().label());
        JsonNode probe = probe(o.dir(), o.quantization());
        long params = probe.get("parameters").asLong();
        long f32Bytes = 4 * params;
        double mb = 1024.0 * 1024.0;
        double peakOver = probe.get("rss_peak_mb").asDouble() - probe.get("rss_baseline_mb").asDouble();
        double residentOver = probe.get("rss_after_mb").asDouble() - probe.get("rss_baseline_mb").asDouble();
        out.put("parameters", params);
        out.put("f32_weight_mb", round1(f32Bytes / mb));
        ObjectNode load = out.putObject("load");
        load.setAll((ObjectNode) probe);
        load.put("peak_over_baseline_mb", round1(peakOver));
        load.put("peak_ratio_to_f32", round3(peakOver * mb / f32Bytes));
        load.put("resident_ratio_to_f32", round3(residentOver * mb / f32Bytes));
        progress.accept(String.format(Locale.ROOT, "load: %.2f s, peak %.0f MB over a %.0f MB baseline = %.3f x the "
                + "%.0f MB of F32 weights", probe.get("load_s").asDouble(), peakOver,
                probe.get("rss_baseline_mb").asDouble(), peakOver * mb / f32Bytes, f32Bytes / mb));

        if (o.quantization() != BaseQuantization.NONE) {
            progress.accept("load: the same checkpoint in float32, the baseline of this run...");
            JsonNode f32 = probe(o.dir(), BaseQuantization.NONE);
            double f32Resident = f32.get("rss_after_mb").asDouble() - f32.get("rss_baseline_mb").asDouble();
            load.set("f32", f32);
            load.put("resident_ratio_to_f32_load", round3(residentOver / f32Resident));
            load.put("weight_bytes_ratio_to_f32", round3(probe.get("weight_bytes").asDouble() / f32Bytes));
        }
        if (o.train() || o.score() || o.demoPacking()) {
            if (o.quantization() != BaseQuantization.NONE) {
                // Baseline first, in the same run: the quantised path's rates are reported against it.
                out.set("f32", measureInChild(o.withQuantization(BaseQuantization.NONE), progress));
                out.setAll(measureInChild(o, progress));
                ObjectNode baseline = (ObjectNode) out.get("f32");
                for (String phase : List.of("train", "score")) {
                    if (out.has(phase) && baseline.has(phase)) {
                        ObjectNode p = (ObjectNode) out.get(phase);
                        p.put("tokens_per_s_ratio_to_f32", round3(p.get("tokens_per_s").asDouble()
                                / baseline.get(phase).get("tokens_per_s").asDouble()));
                        p.put("peak_rss_ratio_to_f32", round3(p.get("peak_rss_mb").asDouble()
                                / baseline.get(phase).get("peak_rss_mb").asDouble()));
                    }
                }
            } else {
                out.setAll(measureInChild(o, progress));
            }
        }
        out.put("total_s", round3((System.nanoTime() - started) / 1e9));
        return out;
    }

    /** Makes sure {@code o.dir()} holds a checkpoint; returns "generated", "reused" or "existing". */
    static String prepare(Options o, Consumer<String> progress) throws IOException {
        Path dir = o.dir();
        ObjectNode wanted = JSON.createObjectNode();
        wanted.put("size", o.size().label());
        wanted.put("dtype", o.dtype().name());
        wanted.put("seed", o.seed());
        wanted.put("max_shard_bytes", o.maxShardBytes());
        if (Files.isRegularFile(dir.resolve(MARKER))) {
            JsonNode have = JSON.readTree(dir.resolve(MARKER).toFile());
            if (!have.equals(JSON.readTree(JSON.writeValueAsString(wanted)))) { // as read back: int vs long nodes
                throw new IOException(dir + " holds a benchmark checkpoint made with " + have + ", not " + wanted
                        + "; pass another --dir or delete it");
            }
            return "reused";
        }
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            return "existing";
        }
        if (Files.exists(dir) && !Directories.isEmpty(dir)) {
            throw new IOException(dir + " exists, is not empty and holds no config.json; refusing to write into it");
        }
        progress.accept("generate: " + o.size().label() + " " + o.dtype() + " checkpoint into " + dir + " ...");
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // Generated beside the target and renamed: an interrupted run never leaves a half checkpoint to reuse.
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".");
        try {
            RandomModels.writeSharded(tmp, o.size().config(), o.seed(), o.dtype(), o.maxShardBytes());
            AtomicFiles.writeString(tmp.resolve(MARKER), JSON.writeValueAsString(wanted) + "\n");
            if (Files.exists(dir)) {
                Files.delete(dir); // empty, checked above
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) {
                Directories.deleteTree(tmp);
            }
        }
        return "generated";
    }

    /**
     * Training and scoring with the base held as {@code o.quantization()}, in a child JVM
     * ({@link MeasureProbe}): each precision's peak resident set is its own. Progress lines are passed on.
     */
    private static ObjectNode measureInChild(Options o, Consumer<String> progress)
            throws IOException, InterruptedException {
        List<String> cmd = childJvm(MeasureProbe.class);
        cmd.addAll(MeasureProbe.encode(o));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String json = null;
        StringBuilder other = new StringBuilder();
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith(MeasureProbe.PROGRESS)) {
                    progress.accept(line.substring(MeasureProbe.PROGRESS.length()));
                } else if (line.startsWith("{")) {
                    json = line;
                } else {
                    other.append(line).append('\n');
                }
            }
        }
        p.waitFor();
        if (p.exitValue() != 0 || json == null) {
            throw new IOException("measurement of the " + o.quantization().label() + " base failed (exit code "
                    + p.exitValue() + "): " + other.toString().strip());
        }
        return (ObjectNode) JSON.readTree(json);
    }

    /** Training and scoring with the base held as {@code q}, into {@code out}'s "train" and "score". */
    static void measure(Options o, BaseQuantization q, ObjectNode out, Consumer<String> progress)
            throws IOException {
        try (NDManager root = NDManager.newBaseManager()) {
            progress.accept("measure: base weights " + q.label());
            long l = System.nanoTime();
            LlamaModel model = LlamaModel.load(o.dir(), root, q);
            out.put("parent_load_s", round3((System.nanoTime() - l) / 1e9));
            if (o.train()) {
                out.set("train", train(model, o, progress));
            }
            if (o.demoPacking()) {
                out.set("demo_train", DemoPackingBenchmark.run(model, o.dir(), o.step(), o.warmupSteps(),
                        o.measuredSteps(), o.rank(), progress));
            }
            if (o.score()) {
                out.set("score", score(model, o, progress));
            }
        }
    }

    /** Runs {@link LoadProbe} in a child JVM with this JVM's class path and DJL settings. */
    static JsonNode probe(Path dir, BaseQuantization q) throws IOException, InterruptedException {
        List<String> cmd = childJvm(LoadProbe.class);
        cmd.add(dir.toAbsolutePath().toString());
        cmd.add(q.label());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout;
        try (InputStream in = p.getInputStream()) {
            stdout = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        p.waitFor();
        String json = stdout.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse(null);
        if (p.exitValue() != 0 || json == null) {
            throw new IOException("load probe failed (exit code " + p.exitValue() + "): " + stdout.strip());
        }
        return JSON.readTree(json);
    }

    /** A java command running {@code main} with this JVM's class path and DJL settings. */
    private static List<String> childJvm(Class<?> main) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        System.getProperties().stringPropertyNames().stream().filter(p -> p.startsWith("ai.djl.")).sorted()
                .forEach(p -> cmd.add("-D" + p + "=" + System.getProperty(p)));
        cmd.add("-cp");
        cmd.add(System.getProperty("fedlora.classpath", System.getProperty("java.class.path")));
        cmd.add(main.getName());
        return cmd;
    }

    private static ObjectNode train(LlamaModel model, Options o, Consumer<String> progress) {
        double gemm = gemmGflops(model.config(), 2.0);
        TrainingBenchmark.Config c = new TrainingBenchmark.Config(o.dir(), o.batchSize(), o.seqLen(), o.rank(),
                o.targets(), o.warmupSteps(), o.measuredSteps()).withStepOptions(o.step());
        double[] spent = {0};
        double rssAtStart = TrainingBenchmark.procStatusMb("VmRSS:");
        boolean reset = TrainingBenchmark.resetPeakRss();
        TrainingBenchmark.Result r = TrainingBenchmark.run(model, o.dir().toString(), c, (step, total, warmup, s) -> {
            spent[0] += s;
            progress.accept(String.format(Locale.ROOT, "train: step %d/%d%s %.1f s; ETA %.0f s", step, total,
                    warmup ? " (warm-up)" : "", s, spent[0] / step * (total - step)));
        });
        ObjectNode n = JSON.createObjectNode();
        n.put("batch", r.batchSize());
        n.put("seq_len", r.seqLen());
        n.put("rank", r.rank());
        n.put("targets", String.join(",", o.targets()));
        n.put("warmup_steps", o.warmupSteps());
        n.put("steps", r.steps());
        n.put("ms_per_step", round1(r.msPerStep()));
        n.put("tokens_per_s", round1(r.tokensPerSecond()));
        n.put("peak_rss_mb", round1(r.peakRssMb()));
        n.put("peak_rss_ratio_to_f32_weights", round3(r.peakRssMb() / (4.0 * model.parameterCount() / (1 << 20))));
        n.put("rss_at_start_mb", round1(rssAtStart));
        n.put("loss_chunk", o.step().lossChunk());
        n.put("checkpoint_layers", o.step().checkpointLayers());
        ObjectNode phases = n.putObject("phase_ms");
        phases.put("forward", round1(r.forwardMs()));
        phases.put("loss", round1(r.lossMs()));
        phases.put("backward", round1(r.backwardMs()));
        phases.put("optimizer", round1(r.optimizerMs()));
        n.put("hwm_reset", reset);
        double gflops = r.tokensPerSecond() * 2 * forwardFlopsPerToken(model.config(), o.seqLen()) / 1e9;
        n.put("est_gflops", round1(gflops));
        n.put("gemm_gflops", round1(gemm));
        n.put("of_gemm", round3(gflops / gemm));
        return n;
    }

    /**
     * The {@code fedlora model score} path ({@link DjlLoraTrainer#exactMatch}) on generated text
     * records of {@code seqLen} characters, after an untimed warm-up on two of them.
     */
    private static ObjectNode score(LlamaModel model, Options o, Consumer<String> progress) throws IOException {
        Path data = Files.createTempFile("fedlora-bench-score", ".jsonl");
        try {
            writeScoreData(data, o.scoreExamples(), o.seqLen(), o.seed());
            TrainingData td = JsonlExamples.read(data);
            List<TrainingExample> examples = td.examples();
            try (PromptTokenizer tok = PromptTokenizer.load(o.dir(), model.config());
                    DjlLoraTrainer scorer = new DjlLoraTrainer(model, tok, List.of())) {
                tok.check(td);
                double gemm = gemmGflops(model.config(), 2.0);
                progress.accept("score: warm-up on 2 examples...");
                scorer.exactMatch(null, 0, examples.subList(0, Math.min(2, examples.size())));
                long inputTokens = 0;
                for (TrainingExample e : examples) {
                    inputTokens += tok.tokenize(e, model.config().maxPositionEmbeddings()).length();
                }
                progress.accept("score: " + examples.size() + " examples, " + inputTokens + " tokens...");
                double rssAtStart = TrainingBenchmark.procStatusMb("VmRSS:");
                boolean reset = TrainingBenchmark.resetPeakRss();
                long t = System.nanoTime();
                EvalResult r = scorer.exactMatch(null, 0, examples);
                double s = (System.nanoTime() - t) / 1e9;
                double peak = TrainingBenchmark.peakRssMb();
                progress.accept(String.format(Locale.ROOT, "score: %.1f s, %.0f tokens/s", s, inputTokens / s));
                ObjectNode n = JSON.createObjectNode();
                n.put("examples", r.examples());
                n.put("tokens", inputTokens);
                n.put("seconds", round3(s));
                n.put("tokens_per_s", round1(inputTokens / s));
                n.put("loss", round3(r.meanLoss()));
                n.put("peak_rss_mb", round1(peak));
                n.put("rss_at_start_mb", round1(rssAtStart));
                n.put("hwm_reset", reset);
                double gflops = inputTokens / s * forwardFlopsPerToken(model.config(), o.seqLen()) / 1e9;
                n.put("est_gflops", round1(gflops));
                n.put("gemm_gflops", round1(gemm));
                n.put("of_gemm", round3(gflops / gemm));
                return n;
            }
        } finally {
            Files.deleteIfExists(data);
        }
    }

    /** Matmul FLOPs of one token's forward pass in a sequence of {@code t} tokens (see the class comment). */
    static double forwardFlopsPerToken(LlamaConfig c, int t) {
        long linear = 0;
        for (var e : LlamaModel.expectedShapes(c).entrySet()) {
            if (e.getKey().startsWith("model.layers.") && e.getKey().endsWith("_proj.weight")) {
                linear += e.getValue()[0] * e.getValue()[1];
            }
        }
        long head = (long) c.vocabSize() * c.hiddenSize();
        double attention = 4.0 * c.numHiddenLayers() * t * c.numAttentionHeads() * c.headDim();
        return 2.0 * (linear + head) + attention;
    }

    /**
     * The same-run yardstick: GFLOP/s of the engine's float32 matmul of 2,048 tokens by an
     * MLP-sized weight ([2048, hidden] x [hidden, intermediate]), repeated for about {@code seconds}.
     */
    static double gemmGflops(LlamaConfig c, double seconds) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2048, c.hiddenSize()));
            NDArray wt = m.randomNormal(new Shape(c.intermediateSize(), c.hiddenSize())).transpose();
            x.matMul(wt).close(); // warm-up
            double flops = 2.0 * 2048 * c.hiddenSize() * c.intermediateSize();
            long start = System.nanoTime();
            int calls = 0;
            do {
                x.matMul(wt).close();
                calls++;
            } while (System.nanoTime() - start < seconds * 1e9 || calls < 3);
            return calls * flops / ((System.nanoTime() - start) / 1e9) / 1e9;
        }
    }

    /** Text records of exactly {@code chars} characters: random lowercase words and spaces. */
    static void writeScoreData(Path file, int examples, int chars, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < examples; i++) {
            StringBuilder text = new StringBuilder();
            while (text.length() < chars) {
                if (text.length() > 0) {
                    text.append(' ');
                }
                int len = 3 + rnd.nextInt(5);
                for (int k = 0; k < len; k++) {
                    text.append((char) ('a' + rnd.nextInt(26)));
                }
            }
            text.setLength(chars);
            ObjectNode line = JSON.createObjectNode();
            line.put("text", text.toString());
            all.append(JSON.writeValueAsString(line)).append('\n');
        }
        Files.writeString(file, all.toString());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }


    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
