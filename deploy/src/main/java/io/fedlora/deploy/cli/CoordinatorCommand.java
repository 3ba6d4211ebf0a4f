package io.fedlora.deploy.cli;

import io.fedlora.coordinator.CoordinatorConfig;
import io.fedlora.coordinator.CoordinatorServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a coordinator until it is stopped (SIGTERM / Ctrl-C). */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
        description = "Run a coordinator; its state (jobs, rounds, nodes, adapters) lives in --data-dir.")
public final class CoordinatorCommand implements Callable<Integer> {

    @Option(names = "--data-dir", required = true, description = "State directory (H2 database and adapter blobs).")
    Path dataDir;

    @Option(names = "--host", defaultValue = CoordinatorConfig.DEFAULT_HOST,
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "7070", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--insecure-plaintext",
            description = "DEVELOPMENT ONLY: also run jobs without secure aggregation, whose updates arrive in the clear.")
    boolean insecurePlaintext;

    @Override
    public Integer call() throws Exception {
        CoordinatorServer server = CoordinatorServer.start(CoordinatorConfig.builder(dataDir).host(host).port(port)
                .insecurePlaintext(insecurePlaintext).build());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("coordinator: shutdown: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "coordinator-shutdown"));
        // The launcher and the tests wait for this exact line.
        System.out.println("coordinator listening on " + host + ":" + server.port());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
