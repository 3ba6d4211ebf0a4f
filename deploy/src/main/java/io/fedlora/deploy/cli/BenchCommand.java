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
        subcommands = {BenchCommand.Train.class, BenchCommand.SecAgg.class, BenchCommand.Jmh.class})
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

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            TrainingBenchmark.Result r = TrainingBenchmark.run(
                    new TrainingBenchmark.Config(model, batch, seqLen, rank, targets, warmup, steps));
            if (json) {
                System.out.printf(Locale.ROOT, "{\"bench\":\"train\",\"model\":\"%s\",\"parameters\":%d,\"batch\":%d,"
                        + "\"seq_len\":%d,\"rank\":%d,\"steps\":%d,\"ms_per_step\":%.3f,\"tokens_per_s\":%.1f,"
                        + "\"peak_rss_mb\":%.1f}%n", r.model().replace("\\", "\\\\").replace("\"", "\\\""),
                        r.parameters(), r.batchSize(), r.seqLen(), r.rank(), r.steps(), r.msPerStep(),
                        r.tokensPerSecond(), r.peakRssMb());
            } else {
                System.out.printf(Locale.ROOT, "%s: %.1f ms/step, %.0f tokens/s, peak RSS %.0f MB%n", r.model(),
                        r.msPerStep(), r.tokensPerSecond(), r.peakRssMb());
            }
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

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() {
            SecAggSimulation.Result r = SecAggSimulation.run(
                    new SecAggSimulation.Options(clients, params, dropout, corrupt, seed));
            System.out.println(json ? r.toJson() : r.toString());
            return r.correct() ? 0 : 1;
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
}
