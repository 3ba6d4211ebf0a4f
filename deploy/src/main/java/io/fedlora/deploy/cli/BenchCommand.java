package io.fedlora.deploy.cli;

import io.fedlora.client.train.TrainingBenchmark;
import io.fedlora.crypto.secagg.SecAggSimulation;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Benchmarks; each prints one JSON object with {@code --json}. Results go in docs/benchmarks.md. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (see docs/benchmarks.md).",
        subcommands = {BenchCommand.Train.class, BenchCommand.Model.class, BenchCommand.SecAgg.class, BenchCommand.Tls.class, BenchCommand.Jmh.class,
                BenchCommand.Strategies.class, BenchCommand.Dashboard.class, BenchCommand.Federation.class})
public final class BenchCommand {

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "LoRA training step time on a model (a built-in tiny random model by default); warm-up steps excluded.")
    static final class Train implements Callable<Integer> {
        @Option(names = "--model", description = "Model directory (default: built-in tiny model, random weights).")
        Path model;

        @Option(names = "--batch", defaultValue = "16", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--seq-len", defaultValue = "32", description = "Sequence length (default: ${DEFAULT-VALUE}).")
        int seqLen;

        @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
        int rank;

        @Option(names = "--targets", defaultValue = "q_proj,v_proj", split = ",", description = "LoRA targets.")
        List<String> targets;

        @Option(names = "--warmup", defaultValue = "3", description = "Warm-up steps, not measured (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--steps", defaultValue = "20", description = "Measured steps (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--dp", description = "DP-SGD steps (per-example gradients, clipping to 1, noise sigma 1) "
                + "on the same batch.")
        boolean dp;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Option(names = "--pairs", defaultValue = "3",
                description = "With --dp: alternating DP / non-DP runs whose medians are compared (default: ${DEFAULT-VALUE}).")
        int pairs;

        @Override
        public Integer call() throws Exception {
            TrainingBenchmark.Config plain = new TrainingBenchmark.Config(model, batch, seqLen, rank, targets, warmup,
                    steps);
            if (!dp) {
                TrainingBenchmark.Result r = TrainingBenchmark.run(plain);
                print(r, json ? "" : null);
                return 0;
            }
            // The baseline is measured in the same run, alternating, so machine noise hits both alike.
            double[] base = new double[pairs];
            double[] priv = new double[pairs];
            TrainingBenchmark.Result last = null;
            for (int i = 0; i < pairs; i++) {
                base[i] = TrainingBenchmark.run(plain).msPerStep();
                last = TrainingBenchmark.run(plain.withDp(true));
                priv[i] = last.msPerStep();
            }
            double b = median(base);
            double p = median(priv);
            print(last, String.format(Locale.ROOT, ",\"baseline_ms_per_step\":%.3f,\"dp_ms_per_step\":%.3f,"
                    + "\"ratio\":%.3f,\"pairs\":%d", b, p, p / b, pairs));
            if (!json) {
                System.out.printf(Locale.ROOT, "DP-SGD %.1f ms/step vs non-private %.1f ms/step: ratio %.2f (median of %d pairs)%n",
                        p, b, p / b, pairs);
            }
            return 0;
        }

        private static double median(double[] v) {
            double[] c = v.clone();
            java.util.Arrays.sort(c);
            return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
        }

        /** One JSON line (extra fields appended) when {@code extra} is non-null and --json, else a sentence. */
        private void print(TrainingBenchmark.Result r, String extra) {
            if (json) {
                System.out.printf(Locale.ROOT, "{\"bench\":\"train\",\"dp\":%b,\"model\":\"%s\",\"parameters\":%d,"
                        + "\"batch\":%d,\"seq_len\":%d,\"rank\":%d,\"steps\":%d,\"ms_per_step\":%.3f,"
                        + "\"tokens_per_s\":%.1f,\"peak_rss_mb\":%.1f%s}%n", dp,
                        r.model().replace("\\", "\\\\").replace("\"", "\\\""), r.parameters(), r.batchSize(),
                        r.seqLen(), r.rank(), r.steps(), r.msPerStep(), r.tokensPerSecond(), r.peakRssMb(),
                        extra == null ? "" : extra);
            } else if (!dp) {
                System.out.printf(Locale.ROOT, "%s: %.1f ms/step, %.0f tokens/s, peak RSS %.0f MB%n", r.model(),
                        r.msPerStep(), r.tokensPerSecond(), r.peakRssMb());
            }
        }
    }

    @Command(name = "model", mixinStandardHelpOptions = true,
            description = {"A ~100M-parameter checkpoint on this machine: generates (or reuses) a sharded random Llama "
                + "checkpoint, then load time and resident memory in a fresh JVM (peak over that JVM's own baseline, "
                + "as a ratio to the F32 weights), LoRA training tokens/s and `model score` tokens/s.",
                "Progress goes to stderr; --json prints one JSON object on stdout."})
    static final class Model implements Callable<Integer> {
        @Option(names = "--dir", description = "Checkpoint directory: generated when absent or empty, reused when this "
                + "benchmark made it, benchmarked as is when it holds another checkpoint "
                + "(default: target/bench-model-SIZE-DTYPE under the distribution).")
        Path dir;

        @Option(names = "--size", defaultValue = "100m", description = "Generated size: 100m or 1m (default: ${DEFAULT-VALUE}).")
        String size;

        @Option(names = "--dtype", defaultValue = "bf16", description = "Generated weights' dtype on disk: bf16 or f32 "
                + "(default: ${DEFAULT-VALUE}).")
        String dtype;

        @Option(names = "--batch", defaultValue = "8", description = "Training batch (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--seq-len", defaultValue = "256", description = "Training sequence length and score record "
                + "length (default: ${DEFAULT-VALUE}).")
        int seqLen;

        @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
        int rank;

        @Option(names = "--targets", defaultValue = "q_proj,v_proj", split = ",", description = "LoRA targets.")
        List<String> targets;

        @Option(names = "--warmup", defaultValue = "1", description = "Untimed training steps (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--steps", defaultValue = "3", description = "Timed training steps (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--score-examples", defaultValue = "32", description = "Scored records of --seq-len characters "
                + "(default: ${DEFAULT-VALUE}).")
        int scoreExamples;

        @Option(names = "--no-train", description = "Skip the training measurement.")
        boolean noTrain;

        @Option(names = "--no-score", description = "Skip the score measurement.")
        boolean noScore;

        @Option(names = "--checkpoint-layers", description = "Train with per-layer activation checkpointing "
                + "(each layer re-run in backward: less memory, about one more forward pass of time).")
        boolean checkpointLayers;

        @Option(names = "--pack", description = "Also train on the demo task's records (batch 16, max_seq_len 32) "
                + "with one example per row and with packed rows, and report both rates.")
        boolean pack;

        @Option(names = "--loss-chunk", defaultValue = "256", description = "Answer tokens whose logits exist at "
                + "once in the training loss (default: ${DEFAULT-VALUE}).")
        int lossChunk;

        @picocli.CommandLine.Mixin
        BaseQuantizationOption quantization = new BaseQuantizationOption();

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            io.fedlora.client.bench.ModelBenchmark.Size s = switch (size.toLowerCase(Locale.ROOT)) {
                case "100m" -> io.fedlora.client.bench.ModelBenchmark.Size.M100;
                case "1m" -> io.fedlora.client.bench.ModelBenchmark.Size.M1;
                default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--size must be 100m or 1m, got " + size);
            };
            io.fedlora.adapter.SafetensorsWriter.Dtype d = switch (dtype.toLowerCase(Locale.ROOT)) {
                case "bf16" -> io.fedlora.adapter.SafetensorsWriter.Dtype.BF16;
                case "f32" -> io.fedlora.adapter.SafetensorsWriter.Dtype.F32;
                default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--dtype must be bf16 or f32, got " + dtype);
            };
            Path target = dir != null ? dir : Path.of(System.getProperty("fedlora.home", "."), "target",
                    "bench-model-" + s.label() + "-" + d.name().toLowerCase(Locale.ROOT));
            var defaults = io.fedlora.client.bench.ModelBenchmark.Options.defaults(target);
            var o = new io.fedlora.client.bench.ModelBenchmark.Options(target, s, d, defaults.seed(),
                    defaults.maxShardBytes(), batch, seqLen, rank, targets, warmup, steps, scoreExamples, !noTrain,
                    !noScore).withQuantization(quantization.value)
                    .withStepOptions(new io.fedlora.client.train.StepOptions(lossChunk, checkpointLayers))
                    .withDemoPacking(pack);
            var r = io.fedlora.client.bench.ModelBenchmark.run(o, System.err::println);
            System.out.println(json ? r.toString() : r.toPrettyString());
            return 0;
        }
    }

    @Command(name = "secagg", mixinStandardHelpOptions = true,
            description = "One SecAgg+ round in this process: client and server cost, upload size, PRG floor, correctness.")
    static final class SecAgg implements Callable<Integer> {
        @Option(names = "--clients", defaultValue = "100", description = "Cohort size N (default: ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--params", defaultValue = "1000000", description = "Vector length P (default: ${DEFAULT-VALUE}).")
        int params;

        @Option(names = "--dropout", defaultValue = "0.1", description = "Fraction dropping at random stages (default: ${DEFAULT-VALUE}).")
        double dropout;

        @Option(names = "--corrupt", defaultValue = "0.05", description = "Tolerated corrupt fraction (default: ${DEFAULT-VALUE}).")
        double corrupt;

        @Option(names = "--seed", defaultValue = "7", description = "Simulation seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--client-threads", description = "Threads one client may use for key agreement and"
                + " masking (default: every core, as an agent does); above 1 the round is also run on one thread"
                + " per client, reported as client_ms_1_thread.")
        Integer clientThreads;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() {
            int threads = clientThreads != null ? clientThreads : Runtime.getRuntime().availableProcessors();
            SecAggSimulation.Result r = SecAggSimulation.benchmark(
                    new SecAggSimulation.Options(clients, params, dropout, corrupt, seed, threads));
            System.out.println(json ? r.toJson() : r.toString());
            return r.correct() ? 0 : 1;
        }
    }

    @Command(name = "tls", mixinStandardHelpOptions = true,
            description = {"What trust costs: new agent connections over mutual TLS 1.3 (full handshake + one call) vs"
                + " plaintext gRPC, and a SecAgg+ round's Ed25519 signing and verification vs its X25519 agreements;"
                + " both baselines measured in the same run."})
    static final class Tls implements Callable<Integer> {
        @Option(names = "--connections", defaultValue = "300", description = "Connections per measurement (default: ${DEFAULT-VALUE}).")
        int connections;

        @Option(names = "--warmup", defaultValue = "200", description = "Warm-up connections of each kind (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--clients", defaultValue = "100", description = "Cohort size N for the signature round (default: ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--dropout", defaultValue = "0.1", description = "delta, for k (default: ${DEFAULT-VALUE}).")
        double dropout;

        @Option(names = "--corrupt", defaultValue = "0.05", description = "gamma, for k (default: ${DEFAULT-VALUE}).")
        double corrupt;

        @Option(names = "--repeats", defaultValue = "3", description = "Alternating repeats; medians reported (default: ${DEFAULT-VALUE}).")
        int repeats;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            var r = io.fedlora.deploy.bench.TlsBenchmark.run(new io.fedlora.deploy.bench.TlsBenchmark.Config(connections,
                    warmup, clients, dropout, corrupt, repeats));
            System.out.println(json ? r.toJson() : r.toString());
            // Every measured connection and engine handshake must have verified a client certificate: none resumed.
            return r.fullHandshakes() == 2L * r.connections() ? 0 : 1;
        }
    }

    @Command(name = "jmh", mixinStandardHelpOptions = true,
            description = "JMH micro-benchmarks (mask PRG, masking, unmasking vs raw AES-CTR); extra arguments go to JMH.")
    static final class Jmh implements Callable<Integer> {
        @picocli.CommandLine.Parameters(arity = "0..*", description = "JMH arguments (default: MaskingBenchmarks).")
        List<String> args = List.of();

        @Override
        public Integer call() throws Exception {
            List<String> a = new java.util.ArrayList<>(args);
            if (a.stream().noneMatch(s -> !s.startsWith("-"))) {
                a.add(0, io.fedlora.deploy.bench.MaskingBenchmarks.class.getSimpleName());
            }
            org.openjdk.jmh.Main.main(a.toArray(String[]::new));
            return 0;
        }
    }

    @Command(name = "strategies", mixinStandardHelpOptions = true,
            description = "Rounds to reach a held-out exact-match target on the demo task for each server strategy"
                    + " (same seeds, non-IID clients, in one process).")
    static final class Strategies implements Callable<Integer> {
        @Option(names = "--clients", defaultValue = "4", description = "Clients (default: ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--max-rounds", defaultValue = "10", description = "Rounds at most per strategy (default: ${DEFAULT-VALUE}).")
        int maxRounds;

        @Option(names = "--target", defaultValue = "0.9", description = "Held-out exact match to reach (default: ${DEFAULT-VALUE}).")
        double target;

        @Option(names = "--strategy", split = ",", description = "Strategies to run (default: all).")
        List<String> strategies;

        @Option(names = "--fedprox-mu", defaultValue = "0", description = "FedProx weight for every run (default: ${DEFAULT-VALUE}).")
        double fedproxMu;

        @Option(names = "--json", description = "Also print one JSON object at the end.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<io.fedlora.coordinator.strategy.StrategyRegistry> chosen = new java.util.ArrayList<>();
            if (strategies == null) {
                chosen.addAll(List.of(io.fedlora.coordinator.strategy.StrategyRegistry.values()));
            } else {
                for (String n : strategies) {
                    chosen.add(io.fedlora.coordinator.strategy.StrategyRegistry.byName(n).orElseThrow(() ->
                            new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--strategy must be"
                                    + " among " + io.fedlora.coordinator.strategy.StrategyRegistry.names() + ", got '" + n + "'")));
                }
            }
            Path home = Path.of(System.getProperty("fedlora.home", "deploy")).toAbsolutePath();
            var s = new io.fedlora.deploy.bench.StrategyBenchmark.Settings(home.resolve("models/fedlora-tiny"), clients,
                    maxRounds, target, chosen, fedproxMu);
            var runs = io.fedlora.deploy.bench.StrategyBenchmark.run(s, System.out);
            io.fedlora.deploy.bench.StrategyBenchmark.printTable(runs, s, System.out);
            if (json) {
                System.out.println(io.fedlora.deploy.bench.StrategyBenchmark.toJson(runs, s));
            }
            return 0;
        }
    }

    @Command(name = "dashboard", mixinStandardHelpOptions = true,
            description = "Dashboard API latency (GET /metrics, the job page's call, the node list) against GET /healthz,"
                    + " on a real coordinator holding many registered nodes and a long job history.")
    static final class Dashboard implements Callable<Integer> {
        @Option(names = "--nodes", defaultValue = "1000", description = "Registered nodes (default: ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--rounds", defaultValue = "100", description = "Completed rounds of the job (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--warmup", defaultValue = "100", description = "Untimed requests per endpoint first (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--requests", defaultValue = "200", description = "Timed requests per endpoint (default: ${DEFAULT-VALUE}).")
        int requests;

        @Option(names = "--json", description = "Also print one JSON object at the end.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            var s = new io.fedlora.deploy.bench.DashboardBenchmark.Settings(nodes, rounds, warmup, requests);
            var results = io.fedlora.deploy.bench.DashboardBenchmark.run(s, System.err);
            io.fedlora.deploy.bench.DashboardBenchmark.printTable(results, s, System.out);
            if (json) {
                System.out.println(io.fedlora.deploy.bench.DashboardBenchmark.toJson(results, s));
            }
            return 0;
        }
    }

    @Command(name = "federation", mixinStandardHelpOptions = true,
            description = {"A SecAgg+ round of many real agents (stand-in trainers sending seeded random updates) in"
                    + " this JVM against one coordinator process, over mutual-TLS gRPC: enrolment, round time by"
                    + " stage, coordinator CPU, heap, RSS, bytes per client, and whether the published mean is exact.",
                "Progress goes to stderr; --json prints one JSON object on stdout. Many agents need many threads"
                    + " (4 each): give this JVM small stacks, e.g. FEDLORA_JAVA_OPTS='-Xss256k -Xmx8g'."})
    static final class Federation implements Callable<Integer> {
        @Option(names = "--clients", defaultValue = "100", description = "Agents, all in the round (default: ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--params", defaultValue = "100000", description = "Adapter elements P (default: ${DEFAULT-VALUE}).")
        int params;

        @Option(names = "--rounds", defaultValue = "1", description = "Measured rounds (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--warmup-rounds", defaultValue = "1",
                description = "Rounds of an unmeasured job first, to warm up both JVMs (default: ${DEFAULT-VALUE}).")
        int warmupRounds;

        @Option(names = "--seed", defaultValue = "7", description = "Seed of the stand-ins' updates (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--coordinator-heap", defaultValue = "2g",
                description = "The coordinator's -Xmx (default: ${DEFAULT-VALUE}).")
        String coordinatorHeap;

        @Option(names = "--enrol-threads", defaultValue = "4",
                description = "Agents enrolling at once (default: ${DEFAULT-VALUE}).")
        int enrolThreads;

        @Option(names = "--stage-timeout", defaultValue = "120",
                description = "SecAgg+ stage timeout in seconds (default: ${DEFAULT-VALUE}).")
        int stageTimeout;

        @Option(names = "--work-dir", description = "Keep the coordinator's state and logs, and the agents' state, here"
                + " (default: a temporary directory, deleted afterwards).")
        Path workDir;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            var s = new io.fedlora.deploy.bench.FederationBenchmark.Settings(clients, params, warmupRounds, rounds, seed,
                    coordinatorHeap, enrolThreads, java.time.Duration.ofSeconds(stageTimeout));
            // A thousand agents' INFO lines would bury the progress lines; their warnings still show.
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.fedlora.client"))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
            var r = workDir == null ? io.fedlora.deploy.bench.FederationBenchmark.run(s, System.err)
                    : io.fedlora.deploy.bench.FederationBenchmark.run(s, java.nio.file.Files.createDirectories(workDir),
                            System.err);
            if (json) {
                System.out.println(r.toJson());
            } else {
                r.printSummary(System.out);
            }
            return r.correct() ? 0 : 1;
        }
    }
}
