package io.fedlora.deploy.demo;

import io.fedlora.proto.v1.RoundSummary;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The demo's outcome: per-round numbers, base vs federated metric, and the time split. */
public record DemoReport(int clients, int rounds, double epsilon, double baseExactMatch, double federatedExactMatch,
        List<Round> roundRows, double wallSeconds, Path adapterDir) {

    public DemoReport {
        roundRows = List.copyOf(roundRows);
    }

    /**
     * One completed round: wall time from the coordinator's summary, local training time reported by
     * clients; under client-level DP the loss is NaN (never sent) and epsilon is the job's so far.
     * {@code clientsExactMatch} is what the clients reported scoring on their shares of the held-out
     * set, of the version the round started from (NaN when none reported).
     */
    public record Round(int round, int clients, double trainLoss, double exactMatch, double seconds,
            double trainSeconds, double epsilon, double clientsExactMatch) {
        public Round(int round, int clients, double trainLoss, double exactMatch, double seconds, double trainSeconds,
                double epsilon) {
            this(round, clients, trainLoss, exactMatch, seconds, trainSeconds, epsilon, Double.NaN);
        }

        static Round of(RoundSummary r, double exactMatch) {
            double seconds = (r.getEndedUnixMs() - r.getStartedUnixMs()) / 1000.0;
            return new Round(r.getRound(), r.getContributingNodesCount(), r.getTrainLoss(), exactMatch, seconds,
                    r.getMeanTrainSeconds(), r.hasClientDp() ? r.getClientDp().getCumulativeEpsilon() : Double.NaN,
                    r.hasEval() ? r.getEval().getExactMatch() : Double.NaN);
        }
    }

    public double meanRoundSeconds() {
        return roundRows.stream().mapToDouble(Round::seconds).average().orElse(0);
    }

    public double meanTrainSeconds() {
        return roundRows.stream().mapToDouble(Round::trainSeconds).average().orElse(0);
    }

    /** Share of round time that is not local training (transfers, waiting, aggregation). */
    public double nonTrainingShare() {
        double round = meanRoundSeconds();
        return round == 0 ? 0 : Math.max(0, round - meanTrainSeconds()) / round;
    }

    void print(PrintStream out) {
        out.println();
        out.println("summary");
        out.printf(Locale.ROOT, "  held-out exact match: base model %.1f%%  ->  federated adapter %.1f%%%n",
                100 * baseExactMatch, 100 * federatedExactMatch);
        out.printf(Locale.ROOT, "  %d rounds with %d clients in %.0f s (whole demo); mean round %.1f s, of which local "
                + "training %.1f s and everything else %.1f%%%n", roundRows.size(), clients, wallSeconds,
                meanRoundSeconds(), meanTrainSeconds(), 100 * nonTrainingShare());
        out.println("  adapter (PEFT layout) written to " + adapterDir.toAbsolutePath());
    }

    /** JSON has no NaN or infinity: "not reported" is null. */
    private static String number(double v, String format) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "null";
    }

    public String toJson() {
        StringBuilder rows = new StringBuilder();
        for (Round r : roundRows) {
            if (rows.length() > 0) {
                rows.append(',');
            }
            rows.append(String.format(Locale.ROOT, "{\"round\":%d,\"clients\":%d,\"train_loss\":%s,"
                    + "\"exact_match\":%.4f,\"seconds\":%.3f,\"train_seconds\":%.3f,\"epsilon\":%s,"
                    + "\"clients_exact_match_of_previous\":%s}", r.round(),
                    r.clients(), number(r.trainLoss(), "%.5f"), r.exactMatch(), r.seconds(), r.trainSeconds(),
                    number(r.epsilon(), "%.4f"), number(r.clientsExactMatch(), "%.4f")));
        }
        return String.format(Locale.ROOT, "{\"clients\":%d,\"rounds\":%d,\"epsilon\":%s,\"base_exact_match\":%.4f,"
                + "\"federated_exact_match\":%.4f,\"wall_seconds\":%.2f,\"mean_round_seconds\":%.3f,"
                + "\"mean_train_seconds\":%.3f,\"non_training_share\":%.4f,\"per_round\":[%s]}", clients, rounds,
                number(epsilon, "%.4f"),
                baseExactMatch, federatedExactMatch, wallSeconds, meanRoundSeconds(), meanTrainSeconds(),
                nonTrainingShare(), rows);
    }
}
