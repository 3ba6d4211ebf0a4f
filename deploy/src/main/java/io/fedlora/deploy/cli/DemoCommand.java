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
            description = "none, record (DP-SGD at epsilon 8, delta 1e-5 per client, 2048 examples each), or all "
                    + "(non-private and DP-SGD on the same data, then a table). "
                    + "Default: ${DEFAULT-VALUE}.")
    String privacy;

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the summary as JSON (for docs/benchmarks.md).")
    Path jsonOut;

    private DemoReport run(Path home, Path work, boolean privacySetup, boolean recordDp) throws Exception {
        return new DemoRunner(new DemoRunner.Settings(home, work, clients, rounds, privacySetup, recordDp), System.out)
                .run();
    }

    private static void printPrivacyTable(DemoReport plain, DemoReport dp) {
        System.out.println();
        System.out.println("privacy                 epsilon (delta 1e-5)   held-out exact match   share of non-private");
        System.out.printf(java.util.Locale.ROOT, "non-private             -                      %5.1f%%                 100%%%n",
                100 * plain.federatedExactMatch());
        System.out.printf(java.util.Locale.ROOT, "record-level DP-SGD     %-22.2f %5.1f%%                 %.0f%%%n",
                dp.epsilon(), 100 * dp.federatedExactMatch(),
                plain.federatedExactMatch() == 0 ? 0 : 100 * dp.federatedExactMatch() / plain.federatedExactMatch());
        System.out.println("client-level (distributed discrete Gaussian): not available until secure aggregation "
                + "is wired into rounds");
    }

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("fedlora.home", "deploy")).toAbsolutePath();
        Path work = workDir != null ? workDir : home.resolve("target/demo");
        java.util.List<DemoReport> reports = new java.util.ArrayList<>();
        switch (privacy) {
            case "none" -> reports.add(run(home, work, false, false));
            case "record" -> reports.add(run(home, work, true, true));
            case "all" -> {
                // Same data, batch and learning rate in both runs: only the DP noise and clipping differ.
                reports.add(run(home, work.resolve("non-private"), true, false));
                reports.add(run(home, work.resolve("record-dp"), true, true));
                printPrivacyTable(reports.get(0), reports.get(1));
            }
            default -> throw new IllegalArgumentException("--privacy must be none, record or all, got '" + privacy + "'");
        }
        if (jsonOut != null) {
            AtomicFiles.writeString(jsonOut, "[" + String.join(",", reports.stream().map(DemoReport::toJson).toList())
                    + "]\n");
        }
        return 0;
    }
}
