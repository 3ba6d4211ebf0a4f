package io.fedlora.deploy.cli;

import io.fedlora.adapter.AtomicFiles;
import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.deploy.demo.DemoReport;
import io.fedlora.deploy.demo.DemoRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** A real federation on this machine: a coordinator and N client processes on loopback. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a coordinator and N client processes on this machine that fine-tune the bundled tiny model.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--clients", defaultValue = "" + DemoDefaults.CLIENTS, description = "Client processes (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--rounds", defaultValue = "" + DemoDefaults.ROUNDS, description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--work-dir", description = "Where data, logs, state and the adapter go (default: deploy/target/demo).")
    Path workDir;

    @Option(names = "--privacy", defaultValue = "none",
            description = "none, record (DP-SGD at epsilon 8, delta 1e-5 per example of each client, 2048 examples "
                    + "each), client (client-level distributed DP at epsilon 8, delta 1e-5 per client, noise added "
                    + "inside secure aggregation), or all (non-private, record-level and client-level on the same data, "
                    + "then a table). Default: ${DEFAULT-VALUE}.")
    String privacy;

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the summary as JSON (for docs/benchmarks.md).")
    Path jsonOut;

    private DemoReport run(Path home, Path work, boolean privacySetup, DemoRunner.Privacy p) throws Exception {
        return new DemoRunner(new DemoRunner.Settings(home, work, clients, rounds, privacySetup, p), System.out).run();
    }

    /** The three runs side by side; the two epsilons protect different units (an example, a whole client). */
    static void printPrivacyTable(java.io.PrintStream out, DemoReport plain, DemoReport record, DemoReport client) {
        out.println();
        out.println("privacy                          epsilon (delta 1e-5)   held-out exact match   share of non-private");
        row(out, "non-private", "-", plain, plain);
        row(out, "record-level DP-SGD", String.format(java.util.Locale.ROOT, "%.2f per example", record.epsilon()),
                record, plain);
        row(out, "client-level distributed DP", String.format(java.util.Locale.ROOT, "%.2f per client", client.epsilon()),
                client, plain);
    }

    private static void row(java.io.PrintStream out, String name, String epsilon, DemoReport r, DemoReport plain) {
        double share = plain.federatedExactMatch() == 0 ? 0 : 100 * r.federatedExactMatch() / plain.federatedExactMatch();
        out.printf(java.util.Locale.ROOT, "%-32s %-22s %5.1f%%                 %.0f%%%n", name, epsilon,
                100 * r.federatedExactMatch(), share);
    }

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("fedlora.home", "deploy")).toAbsolutePath();
        Path work = workDir != null ? workDir : home.resolve("target/demo");
        java.util.List<DemoReport> reports = new java.util.ArrayList<>();
        switch (privacy) {
            case "none" -> reports.add(run(home, work, false, DemoRunner.Privacy.NONE));
            case "record" -> reports.add(run(home, work, true, DemoRunner.Privacy.RECORD));
            case "client" -> reports.add(run(home, work, true, DemoRunner.Privacy.CLIENT));
            case "all" -> {
                // Same data, batch and learning rate in every run: only the DP noise and clipping differ.
                reports.add(run(home, work.resolve("non-private"), true, DemoRunner.Privacy.NONE));
                reports.add(run(home, work.resolve("record-dp"), true, DemoRunner.Privacy.RECORD));
                reports.add(run(home, work.resolve("client-dp"), true, DemoRunner.Privacy.CLIENT));
                printPrivacyTable(System.out, reports.get(0), reports.get(1), reports.get(2));
            }
            default -> throw new IllegalArgumentException(
                    "--privacy must be none, record, client or all, got '" + privacy + "'");
        }
        if (jsonOut != null) {
            AtomicFiles.writeString(jsonOut, "[" + String.join(",", reports.stream().map(DemoReport::toJson).toList())
                    + "]\n");
        }
        return 0;
    }
}
