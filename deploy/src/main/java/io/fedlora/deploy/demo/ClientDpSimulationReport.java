package io.fedlora.deploy.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.fedlora.client.demo.ManyClientSimulation;
import io.fedlora.client.train.DjlLoraTrainer;
import io.fedlora.crypto.privacy.DistributedDpParameters;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link ManyClientSimulation} for the demo ({@code fedlora demo --privacy client-sim}, and the
 * last rows of {@code --privacy all}) and reports it: the non-private baseline and client-level
 * distributed DP over the same N simulated clients.
 */
public record ClientDpSimulationReport(ManyClientSimulation.Comparison comparison, double wallSeconds) {

    /**
     * The comparison with the demo's base model; one progress line per round (with ETA) goes to {@code out}.
     * With two or more cores the two runs go side by side in child processes ({@link SimulationArmProcesses},
     * files under {@code workDir}), otherwise one after the other in this process.
     */
    public static ClientDpSimulationReport run(Path modelDir, ManyClientSimulation.Settings settings, Path workDir,
            PrintStream out) throws IOException, InterruptedException {
        ManyClientSimulation.Settings s = settings;
        boolean sideBySide = Runtime.getRuntime().availableProcessors() >= 2;
        out.printf(Locale.ROOT, "client-level DP simulation: %d simulated clients, each with its own %d non-IID"
                + " examples, all of them in each of %d rounds, %d local steps of batch %d (learning rate %.3g);"
                + " without DP (the baseline) and with client-level distributed DP at epsilon %.1f, delta %.0e per"
                + " client (clip %.2f), %s; %d client trainings in all%n", s.clients(), s.examplesPerClient(),
                s.rounds(), s.localSteps(), s.batch(), s.learningRate(), s.epsilon(), s.delta(), s.clip(),
                sideBySide ? "side by side in two processes" : "one after the other in this process",
                2L * s.clients() * s.rounds());
        long start = System.nanoTime();
        ManyClientSimulation.Comparison c = sideBySide ? SimulationArmProcesses.run(s, workDir, out)
                : quietTrainer(() -> ManyClientSimulation.compare(modelDir, s, out::println));
        return new ClientDpSimulationReport(c, (System.nanoTime() - start) / 1e9);
    }

    /** What a child of {@link SimulationArmProcesses} runs: one of the two runs. */
    public static ManyClientSimulation.Result runArm(Path modelDir, ManyClientSimulation.Settings s,
            ManyClientSimulation.Privacy privacy, PrintStream out) throws IOException {
        return quietTrainer(() -> ManyClientSimulation.runOne(modelDir, s, privacy, out::println));
    }

    private interface Run<T> {
        T call() throws IOException;
    }

    /** One line per client and round from the trainer would drown the progress lines. */
    private static <T> T quietTrainer(Run<T> run) throws IOException {
        Logger trainerLog = (Logger) LoggerFactory.getLogger(DjlLoraTrainer.class);
        Level level = trainerLog.getLevel();
        trainerLog.setLevel(Level.WARN);
        try {
            return run.call();
        } finally {
            trainerLog.setLevel(level);
        }
    }

    public String label(boolean dp) {
        return String.format(Locale.ROOT, dp ? "client-level distributed DP, %d simulated clients"
                : "non-private, %d simulated clients", comparison.nonPrivate().settings().clients());
    }

    /** What the table's rows need to be read correctly. */
    public void printSummary(PrintStream out) {
        ManyClientSimulation.Result dp = comparison.clientDp();
        DistributedDpParameters p = dp.parameters();
        ManyClientSimulation.Settings s = dp.settings();
        out.println();
        out.printf(Locale.ROOT, "client-level DP simulation (%d clients, %d rounds, %.0f s): real"
                + " encoding (clip %.2f, rotation to %d, rounding, discrete Gaussian sigma %.4g per client), sum mod"
                + " 2^32 (SecAgg+ masks left out: they cancel), coordinator decoding; published mean noise %.4f per"
                + " value per round; epsilon %.2f per client after %d rounds (accountant); noise calibrated for all %d"
                + " clients (a real coordinator with a sparse SecAgg+ graph would calibrate for t = %d)%n",
                s.clients(), s.rounds(), wallSeconds, s.clip(), p.paddedDimension(), p.clientNoiseStddev(),
                dp.meanNoisePerValue(), dp.finalEpsilon(), s.rounds(), p.noiseClients(), dp.coordinatorNoiseClients());
        out.printf(Locale.ROOT, "  held-out exact match: non-private %.1f%%, client-level DP %.1f%% = %.1f%% of"
                + " non-private (goal >= 90%%)%n", 100 * comparison.nonPrivate().finalExactMatch(),
                100 * dp.finalExactMatch(), 100 * comparison.share());
    }

    /** The simulation alone: its two runs side by side. */
    public void printTable(PrintStream out) {
        out.println();
        out.printf("%-52s %-22s %-22s %s%n", "privacy", "epsilon (delta 1e-5)", "held-out exact match",
                "share of non-private");
        printRows(out);
    }

    /** The two rows, for this table or the end of {@code --privacy all}'s. */
    public void printRows(PrintStream out) {
        ManyClientSimulation.Result plain = comparison.nonPrivate();
        ManyClientSimulation.Result dp = comparison.clientDp();
        out.printf(Locale.ROOT, "%-52s %-22s %5.1f%%                 %.0f%%%n", label(false), "-",
                100 * plain.finalExactMatch(), 100.0);
        // One decimal: 89.5% must not read as the 90% goal.
        out.printf(Locale.ROOT, "%-52s %-22s %5.1f%%                 %.1f%% (of the simulated non-private)%n",
                label(true), String.format(Locale.ROOT, "%.2f per client", dp.finalEpsilon()),
                100 * dp.finalExactMatch(), 100 * comparison.share());
    }

    private static String number(double v, String format) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "null";
    }

    private static String json(ManyClientSimulation.Result r) {
        StringBuilder rows = new StringBuilder();
        for (ManyClientSimulation.RoundRow row : r.rounds()) {
            if (rows.length() > 0) {
                rows.append(',');
            }
            rows.append(String.format(Locale.ROOT, "{\"round\":%d,\"exact_match\":%.4f,\"held_out_loss\":%.5f,"
                    + "\"client_loss\":%.5f,\"client_update_norm\":%.4f,\"clipped_clients\":%d,\"mean_update_norm\":%.4f,"
                    + "\"round_epsilon\":%s,\"epsilon\":%s,\"seconds\":%.2f}", row.round(), row.exactMatch(),
                    row.heldOutLoss(), row.meanClientLoss(), row.meanUpdateNorm(), row.clippedClients(),
                    row.aggregateNorm(), number(row.roundEpsilon(), "%.4f"), number(row.cumulativeEpsilon(), "%.4f"),
                    row.seconds()));
        }
        String dp = "null";
        DistributedDpParameters p = r.parameters();
        if (p != null) {
            dp = String.format(Locale.ROOT, "{\"clip\":%s,\"dimension\":%d,\"padded_dimension\":%d,\"client_sigma\":%.6g,"
                    + "\"granularity\":%.6g,\"integer_sigma\":%.6g,\"noise_clients\":%d,\"coordinator_noise_clients\":%d,"
                    + "\"mean_noise_per_value\":%.6g}", p.clipNorm(), p.dimension(), p.paddedDimension(),
                    p.clientNoiseStddev(), p.granularity(), p.integerNoiseSigma(), p.noiseClients(),
                    r.coordinatorNoiseClients(), r.meanNoisePerValue());
        }
        return String.format(Locale.ROOT, "{\"privacy\":\"%s\",\"base_exact_match\":%.4f,\"exact_match\":%.4f,"
                + "\"epsilon\":%s,\"seconds\":%.2f,\"client_dp\":%s,\"per_round\":[%s]}",
                r.privacy().name().toLowerCase(Locale.ROOT), r.baseExactMatch(), r.finalExactMatch(),
                number(r.finalEpsilon(), "%.4f"), r.seconds(), dp, rows);
    }

    public String toJson() {
        ManyClientSimulation.Settings s = comparison.clientDp().settings();
        return String.format(Locale.ROOT, "{\"run\":\"client-dp-simulation\",\"clients\":%d,\"rounds\":%d,"
                + "\"local_steps\":%d,\"batch\":%d,\"learning_rate\":%s,\"examples_per_client\":%d,\"clip\":%s,"
                + "\"target_epsilon\":%s,\"delta\":%s,\"held_out\":%d,\"share_of_non_private\":%.4f,\"wall_seconds\":%.2f,"
                + "\"non_private\":%s,\"client_dp\":%s}", s.clients(), s.rounds(), s.localSteps(), s.batch(),
                s.learningRate(), s.examplesPerClient(), s.clip(), s.epsilon(), s.delta(), s.heldOut(),
                comparison.share(), wallSeconds, json(comparison.nonPrivate()), json(comparison.clientDp()));
    }
}
