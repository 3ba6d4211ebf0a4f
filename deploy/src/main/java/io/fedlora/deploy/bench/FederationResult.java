package io.fedlora.deploy.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * What {@link FederationBenchmark} measured. Coordinator figures (CPU, heap, RSS, bytes) cover the
 * measured job only, from its creation to its end; enrolment and the warm-up job are reported apart.
 * Bytes are gRPC message bytes as the coordinator counts them (before TLS), per selected client per
 * round (an aborted round counts).
 */
public record FederationResult(FederationBenchmark.Settings settings, double enrolSeconds, double connectSeconds,
        double enrolCoordinatorCpuSeconds, List<Round> warmupRounds, List<Round> rounds, double roundsWallSeconds, double coordinatorCpuSeconds,
        double agentsCpuSeconds, double coordinatorPeakHeapMb, double coordinatorLiveHeapMb,
        double coordinatorCommittedHeapMb, int coordinatorGcs, double coordinatorPeakRssMb, boolean rssPeakOfRoundsOnly,
        double bytesInPerClient, double bytesOutPerClient, int benchPeakThreads, int cores, double loadAverage) {

    public FederationResult {
        warmupRounds = List.copyOf(warmupRounds);
        rounds = List.copyOf(rounds);
    }

    /** One stage of a round as the coordinator timed it. */
    public record Stage(String name, long ms, int dropped) {}

    /**
     * @param step the encoding's quantisation step: the most a client's stochastic rounding moves the mean
     * @param sumExact whether the unmasked sum's sha256 equals that of the sum of the encoded vectors;
     *     null when not every node that encoded one was summed
     */
    public record Round(int round, String state, String abortReason, double seconds, double aggregateSeconds,
            List<Stage> stages, int selected, int contributors, double maxAbsError, double step, Boolean sumExact,
            boolean correct) {
        public Round {
            stages = List.copyOf(stages);
        }
    }

    /**
     * The measured job completed its rounds and each published exactly the mean of its contributors'
     * inputs. Aborted rounds (the coordinator retries them) published nothing; they are counted apart.
     */
    public boolean correct() {
        List<Round> done = completed(rounds);
        return done.size() == settings.rounds() && done.stream().allMatch(Round::correct);
    }

    public int abortedRounds() {
        return rounds.size() - completed(rounds).size();
    }

    private static List<Round> completed(List<Round> rs) {
        return rs.stream().filter(r -> r.state().equals("ROUND_STATE_COMPLETED")).toList();
    }

    public String toJson() {
        FederationBenchmark.Settings s = settings;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "{\"bench\":\"federation\",\"clients\":%d,\"params\":%d,\"rounds_run\":%d,\"aborted_rounds\":%d,\"cores\":%d,"
                        + "\"coordinator_xmx\":\"%s\",\"correct\":%b,\"enrol_s\":%.3f,\"connect_s\":%.3f,"
                        + "\"enrol_coordinator_cpu_s\":%.3f,\"rounds_wall_s\":%.3f,\"coordinator_cpu_s\":%.3f,"
                        + "\"agents_cpu_s\":%.3f,\"coordinator_peak_heap_mb\":%.1f,\"coordinator_live_heap_mb\":%.1f,"
                        + "\"coordinator_committed_heap_mb\":%.1f,\"coordinator_gcs\":%d,\"coordinator_peak_rss_mb\":%.1f,"
                        + "\"rss_peak_of_rounds_only\":%b,\"bytes_in_per_client\":%.0f,\"bytes_out_per_client\":%.0f,"
                        + "\"bench_peak_threads\":%d,\"load_average_1m\":%.2f,\"rounds\":[",
                s.clients(), s.params(), rounds.size(), abortedRounds(), cores, s.coordinatorHeap(), correct(), enrolSeconds,
                connectSeconds, enrolCoordinatorCpuSeconds, roundsWallSeconds, coordinatorCpuSeconds,
                agentsCpuSeconds, coordinatorPeakHeapMb, coordinatorLiveHeapMb, coordinatorCommittedHeapMb,
                coordinatorGcs, coordinatorPeakRssMb, rssPeakOfRoundsOnly, bytesInPerClient, bytesOutPerClient,
                benchPeakThreads, loadAverage));
        appendRounds(b, rounds);
        b.append("],\"warmup_rounds\":[");
        appendRounds(b, warmupRounds);
        return b.append("]}").toString();
    }

    private static void appendRounds(StringBuilder b, List<Round> rounds) {
        for (int i = 0; i < rounds.size(); i++) {
            Round r = rounds.get(i);
            b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"round\":%d,\"state\":\"%s\",\"abort_reason\":\"%s\",\"round_s\":%.3f,\"aggregate_s\":%.3f,"
                            + "\"selected\":%d,\"contributors\":%d,\"max_abs_error\":%s,\"step\":%s,\"sum_exact\":%s,"
                            + "\"correct\":%b,\"stages\":[",
                    r.round(), r.state(), escape(r.abortReason()), r.seconds(), r.aggregateSeconds(), r.selected(),
                    r.contributors(), number(r.maxAbsError()), number(r.step()), r.sumExact(), r.correct()));
            for (int j = 0; j < r.stages().size(); j++) {
                Stage st = r.stages().get(j);
                b.append(j == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"stage\":\"%s\",\"ms\":%d,\"dropped\":%d}", st.name(), st.ms(), st.dropped()));
            }
            b.append("]}");
        }
    }

    public void printSummary(PrintStream out) {
        FederationBenchmark.Settings s = settings;
        out.printf(Locale.ROOT, "%d clients, P = %d, %d round(s), %d cores (load average %.1f after the rounds);"
                + " coordinator -Xmx%s%n", s.clients(), s.params(), s.rounds(), cores, loadAverage, s.coordinatorHeap());
        out.printf(Locale.ROOT, "enrolment %.1f s (coordinator CPU %.1f s), then connecting %.1f s%n", enrolSeconds,
                enrolCoordinatorCpuSeconds, connectSeconds);
        warmupRounds.forEach(r -> printRound("warm-up round", r, out));
        rounds.forEach(r -> printRound("round", r, out));
        out.printf(Locale.ROOT, "coordinator over the measured job: CPU %.1f s, peak heap %.0f MiB (live %.0f, committed"
                + " %.0f, %d GCs), peak RSS %.0f MiB%s; agents' JVM CPU %.1f s%n", coordinatorCpuSeconds,
                coordinatorPeakHeapMb, coordinatorLiveHeapMb, coordinatorCommittedHeapMb, coordinatorGcs,
                coordinatorPeakRssMb, rssPeakOfRoundsOnly ? "" : " (since start)", agentsCpuSeconds);
        out.printf(Locale.ROOT, "per client per round: %.0f bytes in, %.0f bytes out (gRPC messages at the coordinator)%n",
                bytesInPerClient, bytesOutPerClient);
        out.println(correct() ? "correct: the published mean equals the mean of the inputs"
                + (abortedRounds() > 0 ? " (" + abortedRounds() + " aborted round(s) retried)" : "") : "NOT correct");
    }

    private static void printRound(String label, Round r, PrintStream out) {
        StringBuilder st = new StringBuilder();
        r.stages().forEach(x -> st.append(String.format(Locale.ROOT, " %s %.2f s%s;", x.name(), x.ms() / 1000.0,
                x.dropped() > 0 ? " (" + x.dropped() + " dropped)" : "")));
        out.printf(Locale.ROOT, "%s %d %s in %.2f s:%s aggregate %.2f s; %d/%d contributed; max error %.2e"
                + " (step %.2e), sum exact %s: %s%n", label, r.round(), r.state(), r.seconds(), st,
                r.aggregateSeconds(), r.contributors(), r.selected(), r.maxAbsError(), r.step(), r.sumExact(),
                r.correct() ? "correct" : "NOT correct " + r.abortReason());
    }

    private static String number(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3e", v) : "null";
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
    }
}
