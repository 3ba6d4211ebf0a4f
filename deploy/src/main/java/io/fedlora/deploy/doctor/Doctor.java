package io.fedlora.deploy.doctor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Runs checks in order and reports them one line each, or as JSON; failing when any check failed. */
public final class Doctor {

    private final List<Check> checks;

    public Doctor(List<Check> checks) {
        this.checks = List.copyOf(checks);
    }

    public List<CheckResult> run() {
        List<CheckResult> results = new ArrayList<>();
        for (Check c : checks) {
            results.add(c.run());
        }
        return results;
    }

    public static boolean anyFailed(List<CheckResult> results) {
        return results.stream().anyMatch(r -> r.status() == CheckResult.Status.FAIL);
    }

    public static void printLines(List<CheckResult> results, PrintWriter out) {
        int width = results.stream().mapToInt(r -> r.name().length()).max().orElse(0);
        for (CheckResult r : results) {
            out.printf("%-4s  %-" + width + "s  %s%n", r.status(), r.name(), r.detail());
        }
        out.flush();
    }

    public static void printJson(List<CheckResult> results, PrintWriter out) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("ok", !anyFailed(results));
        ArrayNode list = root.putArray("checks");
        for (CheckResult r : results) {
            list.addObject().put("name", r.name()).put("status", r.status().name()).put("detail", r.detail());
        }
        out.println(root.toPrettyString());
        out.flush();
    }
}
