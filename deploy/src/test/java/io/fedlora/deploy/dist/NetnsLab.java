package io.fedlora.deploy.dist;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Hosts on one machine, each in its own network namespace: a hub (the coordinator) linked to each
 * spoke (an agent) by a veth pair with a /30 of its own, 10.251.N.1 on the hub's side and 10.251.N.2
 * on the spoke's. Only these addresses, inside namespaces this class made, carry traffic. Needs root
 * and iproute2; closing deletes the namespaces (and so their links).
 */
final class NetnsLab implements AutoCloseable {

    private static final String IP = "/usr/sbin/ip";
    private static final String TC = "/usr/sbin/tc";

    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();

    private NetnsLab(String prefix) {
        this.prefix = prefix;
    }

    /** A hub and {@code spokes} spokes, each link up. */
    static NetnsLab star(int spokes) throws Exception {
        NetnsLab lab = new NetnsLab("fl" + ProcessHandle.current().pid());
        try {
            lab.addNamespace(lab.hub());
            for (int i = 1; i <= spokes; i++) {
                lab.addNamespace(lab.spoke(i));
                String hubEnd = lab.prefix + "h" + i;
                String spokeEnd = lab.prefix + "s" + i;
                sh(IP, "link", "add", hubEnd, "netns", lab.hub(), "type", "veth", "peer", "name", spokeEnd, "netns",
                        lab.spoke(i));
                sh(IP, "-n", lab.hub(), "addr", "add", hubAddress(i) + "/30", "dev", hubEnd);
                sh(IP, "-n", lab.spoke(i), "addr", "add", "10.251." + i + ".2/30", "dev", spokeEnd);
                sh(IP, "-n", lab.hub(), "link", "set", hubEnd, "up");
                sh(IP, "-n", lab.spoke(i), "link", "set", spokeEnd, "up");
            }
            return lab;
        } catch (Exception e) {
            lab.close();
            throw e;
        }
    }

    static boolean available() {
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of(IP))
                && java.nio.file.Files.isExecutable(java.nio.file.Path.of(TC));
    }

    String hub() {
        return prefix + "-hub";
    }

    String spoke(int i) {
        return prefix + "-s" + i;
    }

    /** The hub's address on spoke {@code i}'s link: what that agent dials. */
    static String hubAddress(int i) {
        return "10.251." + i + ".1";
    }

    /** {@code ip netns exec NS}, to prefix a command with. */
    List<String> exec(String namespace) {
        return List.of(IP, "netns", "exec", namespace);
    }

    /**
     * Impairs spoke {@code i}'s link in both directions: delay with jitter and loss ({@code tc netem})
     * where the kernel has netem; otherwise (no sch_netem module) a 1 Mbit/s rate limit ({@code tbf}).
     * Returns what was applied.
     */
    String impair(int i, String delay, String jitter, String loss) throws Exception {
        List<String[]> ends = List.of(new String[] {hub(), prefix + "h" + i}, new String[] {spoke(i), prefix + "s" + i});
        if (run(IP, "netns", "exec", hub(), TC, "qdisc", "add", "dev", prefix + "h" + i, "root", "netem", "delay",
                delay, jitter, "loss", loss) == 0) {
            sh(IP, "netns", "exec", spoke(i), TC, "qdisc", "add", "dev", prefix + "s" + i, "root", "netem", "delay",
                    delay, jitter, "loss", loss);
            return "netem delay " + delay + " ± " + jitter + ", loss " + loss;
        }
        for (String[] end : ends) {
            sh(IP, "netns", "exec", end[0], TC, "qdisc", "add", "dev", end[1], "root", "tbf", "rate", "1mbit",
                    "burst", "32kbit", "latency", "400ms");
        }
        return "tbf 1 Mbit/s (this kernel has no netem)";
    }

    /** Cuts spoke {@code i}'s link (both ends down) or restores it. */
    void link(int i, boolean up) throws Exception {
        String state = up ? "up" : "down";
        sh(IP, "-n", hub(), "link", "set", prefix + "h" + i, state);
        sh(IP, "-n", spoke(i), "link", "set", prefix + "s" + i, state);
    }

    private void addNamespace(String name) throws Exception {
        sh(IP, "netns", "add", name);
        namespaces.add(name);
        sh(IP, "-n", name, "link", "set", "lo", "up");
    }

    private static void sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd));
        return p.exitValue();
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            try {
                sh(IP, "netns", "del", namespaces.get(i));
            } catch (Exception | AssertionError e) {
                first = first == null ? new Exception(e) : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
