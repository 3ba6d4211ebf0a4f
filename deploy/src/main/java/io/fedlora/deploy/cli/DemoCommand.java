package io.fedlora.deploy.cli;

import io.fedlora.adapter.AtomicFiles;
import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.client.demo.ManyClientSimulation;
import io.fedlora.deploy.demo.ClientDpSimulationReport;
import io.fedlora.deploy.demo.DemoReport;
import io.fedlora.deploy.demo.DemoRunner;
import io.fedlora.deploy.demo.SimulationArmProcesses;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** A real federation on this machine: a coordinator and N client processes on loopback. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a coordinator and N client processes on this machine that fine-tune the bundled tiny model.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--clients", defaultValue = "" + DemoDefaults.CLIENTS, description = "Client processes, at least 3 (secure aggregation needs cohorts of 3; default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--rounds", defaultValue = "" + DemoDefaults.ROUNDS, description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--work-dir", description = "Where data, logs, state and the adapter go (default: deploy/target/demo).")
    Path workDir;

    @Option(names = "--privacy", defaultValue = "none",
            description = "none, record (DP-SGD at epsilon 8, delta 1e-5 per example of each client, 2048 examples "
                    + "each), client (client-level distributed DP at epsilon 8, delta 1e-5 per client, noise added "
                    + "inside secure aggregation), client-sim (client-level distributed DP over --sim-clients simulated "
                    + "clients, against the same clients without DP, the two runs side by side in two processes), or all (non-private, record-level "
                    + "and client-level on the same data, then client-sim, then a table). Default: ${DEFAULT-VALUE}.")
    String privacy;

    @Option(names = "--sim-clients", paramLabel = "N",
            description = "Simulated clients of client-sim (default: " + ManyClientSimulation.DEFAULT_CLIENTS
                    + "; client-level DP needs hundreds).")
    Integer simClients;

    @Option(names = "--sim-rounds", paramLabel = "R", description = "Rounds of client-sim (default: "
            + ManyClientSimulation.DEFAULT_ROUNDS + ").")
    Integer simRounds;

    // A child of the side-by-side simulation: runs one of its two runs and writes the result for the parent.
    @Option(names = "--sim-arm", hidden = true)
    String simArm;

    @Option(names = "--sim-settings", hidden = true)
    Path simSettings;

    @Option(names = "--sim-result-out", hidden = true)
    Path simResultOut;

    @picocli.CommandLine.Mixin
    BaseQuantizationOption quantization = new BaseQuantizationOption();

    @Option(names = "--keep-running",
            description = "After the last round, leave the coordinator and its dashboard up until Ctrl-C.")
    boolean keepRunning;

    @Option(names = "--watch-dashboard",
            description = "Keep a signed-in dashboard client subscribed to the job's live events throughout, as an"
                    + " open job page would be (to measure what that costs the rounds).")
    boolean watchDashboard;

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the summary as JSON (for docs/benchmarks.md).")
    Path jsonOut;

    private DemoReport run(Path home, Path work, boolean privacySetup, DemoRunner.Privacy p) throws Exception {
        return new DemoRunner(new DemoRunner.Settings(home, work, clients, rounds, privacySetup, p, keepRunning,
                quantization.value, watchDashboard), System.out).run();
    }

    /**
     * The runs side by side; the epsilons protect different units (an example, a whole client). The
     * simulated rows (null: left out) are compared with their own non-private baseline.
     */
    static void printPrivacyTable(java.io.PrintStream out, DemoReport plain, DemoReport record, DemoReport client,
            ClientDpSimulationReport simulated) {
        out.println();
        out.printf("%-52s %-22s %-22s %s%n", "privacy", "epsilon (delta 1e-5)", "held-out exact match",
                "share of non-private");
        String n = plain.clients() + " client processes";
        row(out, "non-private, " + n, "-", plain, plain);
        row(out, "record-level DP-SGD, " + n, String.format(java.util.Locale.ROOT, "%.2f per example", record.epsilon()),
                record, plain);
        row(out, "client-level distributed DP, " + n,
                String.format(java.util.Locale.ROOT, "%.2f per client", client.epsilon()), client, plain);
        if (simulated != null) {
            simulated.printRows(out);
        }
    }

    private static void row(java.io.PrintStream out, String name, String epsilon, DemoReport r, DemoReport plain) {
        double share = plain.federatedExactMatch() == 0 ? 0 : 100 * r.federatedExactMatch() / plain.federatedExactMatch();
        out.printf(java.util.Locale.ROOT, "%-52s %-22s %5.1f%%                 %.0f%%%n", name, epsilon,
                100 * r.federatedExactMatch(), share);
    }

    private ManyClientSimulation.Settings simulationSettings() {
        ManyClientSimulation.Settings s = ManyClientSimulation.Settings.defaults();
        if (simClients != null) {
            s = s.withClients(simClients);
        }
        if (simRounds != null) {
            s = s.withRounds(simRounds);
        }
        return s;
    }

    private ClientDpSimulationReport simulate(Path home, Path work) throws Exception {
        ClientDpSimulationReport r = ClientDpSimulationReport.run(home.resolve("models/fedlora-tiny"),
                simulationSettings(), work.resolve("client-sim"), System.out);
        r.printSummary(System.out);
        return r;
    }

    private int runSimulationArm(Path home) throws Exception {
        if (!privacy.equals("client-sim") || simSettings == null || simResultOut == null) {
            throw new IllegalArgumentException("--sim-arm needs --privacy client-sim, --sim-settings and --sim-result-out");
        }
        ManyClientSimulation.Result r = ClientDpSimulationReport.runArm(home.resolve("models/fedlora-tiny"),
                SimulationArmProcesses.readSettings(simSettings), SimulationArmProcesses.arm(simArm), System.out);
        SimulationArmProcesses.writeResult(r, simResultOut);
        return 0;
    }

    /**
     * The simulation trains one client after another in this process; PyTorch's default of one
     * intra-op thread per core made each step 10-25x slower on a shared 2-core machine (threads
     * spinning against other processes), so one thread unless the caller chose otherwise. Must run
     * before the engine loads.
     */
    static void singleIntraOpThreadUnlessSet() {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
    }

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("fedlora.home", "deploy")).toAbsolutePath();
        Path work = workDir != null ? workDir : home.resolve("target/demo");
        java.util.List<DemoReport> reports = new java.util.ArrayList<>();
        ClientDpSimulationReport simulated = null;
        if (privacy.equals("client-sim") || privacy.equals("all")) {
            simulationSettings(); // bad --sim-* values fail before anything runs
            singleIntraOpThreadUnlessSet();
        }
        if (simArm != null) {
            return runSimulationArm(home);
        }
        if (keepRunning && !privacy.equals("none") && !privacy.equals("record") && !privacy.equals("client")) {
            throw new IllegalArgumentException("--keep-running keeps one federation up: use it with --privacy none, "
                    + "record or client, not " + privacy);
        }
        switch (privacy) {
            case "none" -> reports.add(run(home, work, false, DemoRunner.Privacy.NONE));
            case "record" -> reports.add(run(home, work, true, DemoRunner.Privacy.RECORD));
            case "client" -> reports.add(run(home, work, true, DemoRunner.Privacy.CLIENT));
            case "all" -> {
                // Same data, batch and learning rate in every run: only the DP noise and clipping differ.
                reports.add(run(home, work.resolve("non-private"), true, DemoRunner.Privacy.NONE));
                reports.add(run(home, work.resolve("record-dp"), true, DemoRunner.Privacy.RECORD));
                reports.add(run(home, work.resolve("client-dp"), true, DemoRunner.Privacy.CLIENT));
                simulated = simulate(home, work);
                printPrivacyTable(System.out, reports.get(0), reports.get(1), reports.get(2), simulated);
            }
            case "client-sim" -> {
                simulated = simulate(home, work);
                simulated.printTable(System.out);
            }
            default -> throw new IllegalArgumentException(
                    "--privacy must be none, record, client, client-sim or all, got '" + privacy + "'");
        }
        if (jsonOut != null) {
            java.util.List<String> json = new java.util.ArrayList<>(reports.stream().map(DemoReport::toJson).toList());
            if (simulated != null) {
                json.add(simulated.toJson());
            }
            AtomicFiles.writeString(jsonOut, "[" + String.join(",", json) + "]\n");
        }
        return 0;
    }
}
