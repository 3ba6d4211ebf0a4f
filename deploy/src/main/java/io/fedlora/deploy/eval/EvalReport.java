package io.fedlora.deploy.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** results.json (every run) and results.md (one row per arm: mean ± spread over seeds). */
public final class EvalReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One arm over its seeds: final metric mean and sample standard deviation (0 for one seed). */
    public record ArmSummary(String arm, int seeds, double mean, double spread, double epsilon) {}

    private EvalReport() {}

    public static List<ArmSummary> summarise(List<EvalRun> runs) {
        Map<String, List<EvalRun>> byArm = byArm(runs);
        List<ArmSummary> out = new ArrayList<>();
        byArm.forEach((arm, rs) -> {
            double mean = rs.stream().mapToDouble(EvalRun::finalMetric).average().orElse(Double.NaN);
            double ss = rs.stream().mapToDouble(r -> (r.finalMetric() - mean) * (r.finalMetric() - mean)).sum();
            double spread = rs.size() > 1 ? Math.sqrt(ss / (rs.size() - 1)) : 0;
            out.add(new ArmSummary(arm, rs.size(), mean, spread, rs.get(0).epsilon()));
        });
        return out;
    }

    static Map<String, List<EvalRun>> byArm(List<EvalRun> runs) {
        Map<String, List<EvalRun>> byArm = new LinkedHashMap<>();
        runs.forEach(r -> byArm.computeIfAbsent(r.arm(), k -> new ArrayList<>()).add(r));
        return byArm;
    }

    public static String json(EvalPlan plan, List<EvalRun> runs) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode p = root.putObject("plan");
        p.put("task", plan.task().flagName());
        p.put("clients", plan.clients());
        p.put("rounds", plan.rounds());
        p.put("seeds", plan.seeds());
        p.put("alpha", plan.alpha());
        p.put("examples_per_client", plan.examplesPerClient());
        p.put("held_out", plan.heldOut());
        p.put("local_steps", plan.localSteps());
        p.put("batch", plan.batch());
        p.put("learning_rate", plan.learningRate());
        p.put("delta", plan.delta());
        p.put("clip", plan.clip());
        p.put("rank", plan.rank());
        p.put("lora_alpha", plan.loraAlpha());
        p.put("metric", plan.task() == BuiltInTask.INTENTS ? "accuracy" : "exact_match");
        ArrayNode rs = root.putArray("runs");
        for (EvalRun r : runs) {
            ObjectNode o = rs.addObject();
            o.put("arm", r.arm());
            o.put("seed", r.seed());
            r.metric().forEach(o.putArray("metric")::add);
            ArrayNode l = o.putArray("loss");
            r.loss().forEach(v -> {
                if (Double.isNaN(v)) {
                    l.addNull();
                } else {
                    l.add(v);
                }
            });
            if (Double.isNaN(r.epsilon())) {
                o.putNull("epsilon");
            } else {
                o.put("epsilon", r.epsilon());
            }
            o.put("seconds", r.seconds());
            if (!r.perClient().isEmpty()) {
                r.perClient().forEach(o.putArray("per_client")::add);
            }
        }
        return JSON.writeValueAsString(root);
    }

    public static String markdown(EvalPlan plan, List<EvalRun> runs) {
        List<ArmSummary> arms = summarise(runs);
        Map<String, Double> means = new LinkedHashMap<>();
        arms.forEach(a -> means.put(a.arm(), a.mean()));
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Task %s. Held-out exact match after %d rounds: %d clients x %d examples, %d local steps"
                + " of batch %d, lr %s, clip %s, LoRA rank %d, %d held-out examples, mean ± standard deviation over seeds;"
                + " ε per client at δ = %.0e.%n%n",
                plan.task().flagName(), plan.rounds(), plan.clients(), plan.examplesPerClient(), plan.localSteps(), plan.batch(),
                plan.learningRate(), plan.clip(), plan.rank(), plan.heldOut(), plan.delta()));
        b.append("| arm | final exact match | seeds | ratio to reference | reference | ε |\n");
        b.append("| --- | --- | --- | --- | --- | --- |\n");
        for (ArmSummary a : arms) {
            String refName = EvalArm.byName(a.arm()).map(EvalArm::reference).orElse(EvalArm.REFERENCE);
            double reference = means.getOrDefault(refName, Double.NaN);
            b.append(String.format(Locale.ROOT, "| %s | %.1f%% ± %.1f | %d | %s | %s | %s |%n", a.arm(), 100 * a.mean(),
                    100 * a.spread(), a.seeds(), Double.isNaN(reference) || reference == 0 ? "–"
                            : String.format(Locale.ROOT, "%.2f", a.mean() / reference), refName,
                    Double.isNaN(a.epsilon()) ? "–" : String.format(Locale.ROOT, "%.2f", a.epsilon())));
        }
        return b.toString();
    }

    public static void write(Path dir, EvalPlan plan, List<EvalRun> runs) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.json"), json(plan, runs));
        Files.writeString(dir.resolve("results.md"), markdown(plan, runs));
    }
}
