package io.fedlora.client.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Parses the agent's coordinator setting: {@code host:port}, or several of them comma-separated. */
final class CoordinatorTargets {

    /** A name or IPv4 address, or an IPv6 address in brackets; then a port. */
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\],]+):([0-9]{1,5})");

    private CoordinatorTargets() {}

    /** The addresses, in order; each problem (naming the bad entry) is added to {@code problems}. */
    static List<String> parse(String setting, List<String> problems) {
        List<String> targets = new ArrayList<>();
        for (String raw : setting.split(",", -1)) {
            String t = raw.strip();
            var m = HOST_PORT.matcher(t);
            if (t.isEmpty()) {
                problems.add("coordinatorTarget: empty entry in '" + setting + "' (host:port[,host:port...])");
            } else if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
                problems.add("coordinatorTarget: '" + t + "' is not host:port (a port from 1 to 65535)");
            } else if (targets.contains(t)) {
                problems.add("coordinatorTarget: '" + t + "' is listed twice");
            } else {
                targets.add(t);
            }
        }
        return targets;
    }
}
