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

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the summary as JSON (for docs/benchmarks.md).")
    Path jsonOut;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("fedlora.home", "deploy")).toAbsolutePath();
        Path work = workDir != null ? workDir : home.resolve("target/demo");
        DemoReport report = new DemoRunner(new DemoRunner.Settings(home, work, clients, rounds), System.out).run();
        if (jsonOut != null) {
            AtomicFiles.writeString(jsonOut, report.toJson() + "\n");
        }
        return 0;
    }
}
