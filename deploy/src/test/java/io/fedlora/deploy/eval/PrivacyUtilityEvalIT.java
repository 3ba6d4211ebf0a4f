package io.fedlora.deploy.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.deploy.local.JavaProcess;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code fedlora eval privacy-utility --quick} as a user runs it, in its own JVM: it exits 0 and
 * writes every quick arm's runs into results.json, a row per arm into results.md, and three PNGs
 * that decode and are not blank.
 */
@Timeout(600)
class PrivacyUtilityEvalIT {

    @Test
    void quickRunWritesEveryArmTheTableAndThePlots() throws Exception {
        Path module = Path.of("").toAbsolutePath();
        Path out = module.resolve("target/eval-it/out");
        deleteTree(out);
        List<String> args = List.of("eval", "privacy-utility", "--quick", "--model",
                module.resolve("models/fedlora-tiny").toString(), "--out", out.toString());
        String log;
        try (JavaProcess p = JavaProcess.start("eval", args, module.resolve("target/eval-it/eval.log"), null)) {
            OptionalInt rc = p.waitForExit(Duration.ofMinutes(9));
            log = Files.readString(p.log());
            assertEquals(OptionalInt.of(0), rc, log);
        }
        assertTrue(log.contains("ETA"), "progress lines with an ETA: " + log);

        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        Set<String> arms = new HashSet<>();
        for (JsonNode run : results.get("runs")) {
            arms.add(run.get("arm").asText());
            assertEquals(results.get("plan").get("rounds").asInt() + 1, run.get("metric").size(), run.toString());
            assertTrue(run.get("seconds").asDouble() > 0, run.toString());
        }
        assertEquals(Set.copyOf(EvalArm.QUICK), arms);
        JsonNode dp = find(results, "federated-dp-eps8");
        assertEquals(8.0, dp.get("epsilon").asDouble(), 0.05);
        assertEquals(4, find(results, "local").get("per_client").size());
        double clientEpsilon = find(results, "client-dp-eps8").get("epsilon").asDouble();
        assertTrue(clientEpsilon > 0 && clientEpsilon <= 8.01, "client-level epsilon within budget: " + clientEpsilon);

        String table = Files.readString(out.resolve("results.md"));
        for (String arm : EvalArm.QUICK) {
            assertTrue(table.contains("| " + arm + " |"), arm + " row in:\n" + table);
        }
        for (String png : List.of(EvalCharts.PER_ROUND, EvalCharts.VS_EPSILON, EvalCharts.PER_CLIENT)) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(image, png + " decodes");
            assertTrue(image.getWidth() >= 300 && image.getHeight() >= 200, png);
            assertTrue(distinctColours(image) > 8, png + " has a chart on it, not a blank canvas");
        }
    }

    @Test
    void badFlagsAreNamed() throws Exception {
        Path module = Path.of("").toAbsolutePath();
        List<String> args = List.of("eval", "privacy-utility", "--quick", "--alpha", "0", "--model",
                module.resolve("models/fedlora-tiny").toString(), "--out", module.resolve("target/eval-it/bad").toString());
        try (JavaProcess p = JavaProcess.start("eval-bad", args, module.resolve("target/eval-it/bad.log"), null)) {
            OptionalInt rc = p.waitForExit(Duration.ofMinutes(1));
            String log = Files.readString(p.log());
            assertTrue(rc.isPresent(), log);
            assertNotEquals(0, rc.getAsInt(), log);
            assertTrue(log.contains("--alpha"), log);
        }
        List<String> half = List.of("eval", "privacy-utility", "--train", "x.jsonl", "--out",
                module.resolve("target/eval-it/bad").toString());
        try (JavaProcess p = JavaProcess.start("eval-bad-jsonl", half, module.resolve("target/eval-it/bad-jsonl.log"), null)) {
            OptionalInt rc = p.waitForExit(Duration.ofMinutes(1));
            String log = Files.readString(p.log());
            assertTrue(rc.isPresent() && rc.getAsInt() != 0, log);
            assertTrue(log.contains("--train and --held-out go together"), log);
        }
    }

    private static JsonNode find(JsonNode results, String arm) {
        for (JsonNode run : results.get("runs")) {
            if (run.get("arm").asText().equals(arm)) {
                return run;
            }
        }
        throw new AssertionError("no run of " + arm);
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 4) {
            for (int x = 0; x < image.getWidth(); x += 4) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }

    private static void deleteTree(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
