package io.fedlora.deploy.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/** The {@code --coordinator HOST:PORT} option shared by commands that talk to a coordinator. */
public final class CoordinatorAddress {

    @Option(names = "--coordinator", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7070",
            description = "Coordinator address (default: ${DEFAULT-VALUE}).")
    String target;

    public static ManagedChannel open(String target) {
        if (!target.matches("[^:\\s]+:\\d{1,5}")) {
            throw new IllegalArgumentException("--coordinator must be HOST:PORT, got '" + target + "'");
        }
        // Plaintext until mutual TLS lands (security issue); loopback only in the demo.
        return ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    }

    ManagedChannel open() {
        return open(target);
    }

    public static void closeQuietly(ManagedChannel channel) {
        try {
            close(channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void close(ManagedChannel channel) throws InterruptedException {
        channel.shutdown();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            channel.shutdownNow();
        }
    }
}
