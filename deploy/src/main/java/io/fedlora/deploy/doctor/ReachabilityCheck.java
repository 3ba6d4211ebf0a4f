package io.fedlora.deploy.doctor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A TCP connection to the coordinator's port opens within the timeout. Given an active coordinator and
 * its standbys, one of them must accept: a standby opens its port only when it takes over.
 */
final class ReachabilityCheck implements Check {

    private final List<CoordinatorEndpoint> endpoints;
    private final Duration timeout;

    ReachabilityCheck(List<CoordinatorEndpoint> endpoints, Duration timeout) {
        this.endpoints = List.copyOf(endpoints);
        this.timeout = timeout;
    }

    /** The first of {@code endpoints} that accepts a connection now: the active coordinator. */
    static Optional<CoordinatorEndpoint> firstAnswering(List<CoordinatorEndpoint> endpoints, Duration timeout) {
        for (CoordinatorEndpoint e : endpoints) {
            try (Socket s = connect(e, timeout)) {
                return Optional.of(e);
            } catch (IOException ignored) {
                // try the next: it may be the active one
            }
        }
        return Optional.empty();
    }

    private static Socket connect(CoordinatorEndpoint e, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(e.host(), e.port()), Math.toIntExact(timeout.toMillis()));
            return s;
        } catch (IOException ex) {
            s.close();
            throw ex;
        }
    }

    @Override
    public String name() {
        return "reachability";
    }

    @Override
    public CheckResult run() {
        List<String> accepted = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (CoordinatorEndpoint e : endpoints) {
            long start = System.nanoTime();
            try (Socket s = connect(e, timeout)) {
                long ms = (System.nanoTime() - start) / 1_000_000;
                accepted.add(e.target() + " (" + s.getInetAddress().getHostAddress() + ") accepts connections, " + ms
                        + " ms to connect");
            } catch (IOException ex) {
                refused.add(e.target() + ": " + ex.getMessage());
            }
        }
        if (accepted.isEmpty()) {
            return CheckResult.fail(name(), String.join("; ", refused));
        }
        String detail = String.join("; ", accepted);
        if (!refused.isEmpty()) {
            detail += "; not listening (a standby opens its port only when it takes over): " + String.join("; ", refused);
        }
        return CheckResult.ok(name(), detail);
    }
}
