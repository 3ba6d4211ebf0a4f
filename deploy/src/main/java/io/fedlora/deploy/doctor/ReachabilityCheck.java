package io.fedlora.deploy.doctor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** A TCP connection to the coordinator's port opens within the timeout. */
final class ReachabilityCheck implements Check {

    private final CoordinatorEndpoint endpoint;
    private final Duration timeout;

    ReachabilityCheck(CoordinatorEndpoint endpoint, Duration timeout) {
        this.endpoint = endpoint;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "reachability";
    }

    @Override
    public CheckResult run() {
        long start = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), Math.toIntExact(timeout.toMillis()));
            long ms = (System.nanoTime() - start) / 1_000_000;
            return CheckResult.ok(name(), endpoint.target() + " (" + s.getInetAddress().getHostAddress()
                    + ") accepts connections, " + ms + " ms to connect");
        } catch (IOException e) {
            return CheckResult.fail(name(), endpoint.target() + ": " + e.getMessage());
        }
    }
}
