package io.fedlora.deploy.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvalReportTest {

    private static final EvalPlan PLAN = EvalPlan.quick(BuiltInTask.LETTERS, Path.of("unused"),
            List.of(EvalArm.byName("federated").orElseThrow(), EvalArm.byName("federated-dp-eps8").orElseThrow()), 4, 2, 2,
            0.5);

    private static final List<EvalRun> RUNS = List.of(
            new EvalRun("federated", 0, List.of(0.0, 0.5, 0.8), List.of(3.0, 1.0, 0.5), Double.NaN, 2, List.of()),
            new EvalRun("federated", 1, List.of(0.0, 0.5, 1.0), List.of(3.0, 1.0, 0.4), Double.NaN, 2, List.of()),
            new EvalRun("federated-dp-eps8", 0, List.of(0.0, 0.3, 0.72), List.of(3.0, 2.0, 1.0), 7.99, 3, List.of()),
            new EvalRun("federated-dp-eps8", 1, List.of(0.0, 0.3, 0.90), List.of(3.0, 2.0, 1.0), 7.99, 3, List.of()));

    @Test
    void summariesAreTheMeanAndSampleSpreadOverSeeds() {
        List<EvalReport.ArmSummary> s = EvalReport.summarise(RUNS);
        assertEquals(0.9, s.get(0).mean(), 1e-9);
        assertEquals(Math.sqrt(0.02), s.get(0).spread(), 1e-9);
        assertEquals(2, s.get(1).seeds());
        assertEquals(0.81, s.get(1).mean(), 1e-9);
    }

    @Test
    void theTableHasARowPerArmWithItsRatioAndEpsilon() {
        String md = EvalReport.markdown(PLAN, RUNS);
        assertTrue(md.contains("| federated | 90.0% ± 14.1 | 2 | 1.00 | federated |"), md);
        assertTrue(md.contains("| federated-dp-eps8 | 81.0% ± 12.7 | 2 | 0.90 | federated |"), md);
        assertTrue(md.contains("| 7.99 |"), md);
    }

    @Test
    void jsonHoldsEveryRunWithNullEpsilonWhenNotPrivate() throws Exception {
        JsonNode root = new ObjectMapper().readTree(EvalReport.json(PLAN, RUNS));
        assertEquals(4, root.get("runs").size());
        assertTrue(root.get("runs").get(0).get("epsilon").isNull());
        assertEquals(7.99, root.get("runs").get(2).get("epsilon").asDouble(), 1e-9);
        assertEquals(3, root.get("runs").get(3).get("metric").size());
        assertEquals(2, root.get("plan").get("seeds").asInt());
        assertEquals("letters", root.get("plan").get("task").asText());
    }

    @Test
    void intentsAreGeneratedWithEveryLabelAndSplitByLabel() {
        List<io.fedlora.client.data.InstructionExample> pool = IntentTask.examples(600, 3);
        assertEquals(java.util.Set.copyOf(IntentTask.labels()),
                pool.stream().map(IntentTask::label).collect(java.util.stream.Collectors.toSet()));
        List<List<io.fedlora.client.data.InstructionExample>> clients =
                BuiltInTask.INTENTS.clientData(EvalArm.Split.DIRICHLET, 4, 150, 0.1, 5);
        assertEquals(600, clients.stream().mapToInt(List::size).sum());
        // alpha 0.1: some client misses at least one intent entirely.
        assertTrue(clients.stream().anyMatch(c -> c.stream().map(IntentTask::label).distinct().count() < 6));
    }

    @Test
    void aJsonlTaskDealsItsTrainingExamplesOutToTheClients() {
        JsonlTask task = new JsonlTask(IntentTask.examples(100, 1), IntentTask.examples(10, 2), 48);
        List<List<io.fedlora.client.data.InstructionExample>> iid = task.clientData(EvalArm.Split.DEMO, 4, 20, 0.5, 9);
        assertEquals(List.of(20, 20, 20, 20), iid.stream().map(List::size).toList());
        assertEquals(80, task.clientData(EvalArm.Split.DIRICHLET, 4, 20, 0.5, 9).stream().mapToInt(List::size).sum());
        assertEquals(10, task.heldOut(200).size());
    }

    @Test
    void theTunedClipLearningRateBatchAndRankAreInThePlanAndTheJson() throws Exception {
        EvalPlan tuned = PLAN.withTuning(0.1, 5e-2, 32, 4);
        assertEquals(0.1, tuned.clip(), 1e-12);
        assertEquals(5e-2, tuned.learningRate(), 1e-12);
        assertEquals(32, tuned.batch());
        assertEquals(4, tuned.rank());
        assertEquals(8.0, tuned.loraAlpha(), 1e-12); // alpha / rank stays 16 / 8
        JsonNode p = new ObjectMapper().readTree(EvalReport.json(tuned, RUNS)).get("plan");
        assertEquals(0.1, p.get("clip").asDouble(), 1e-12);
        assertEquals(5e-2, p.get("learning_rate").asDouble(), 1e-12);
        assertEquals(32, p.get("batch").asInt());
        assertEquals(4, p.get("rank").asInt());
        assertEquals(8.0, p.get("lora_alpha").asDouble(), 1e-12);
        assertTrue(EvalReport.markdown(tuned, RUNS).contains("LoRA rank 4"));
        // Nulls keep the plan's own values.
        assertEquals(PLAN, PLAN.withTuning(null, null, null, null));
    }

    @Test
    void badTuningIsRejectedNamingTheFlag() {
        assertFlag("--clip", () -> PLAN.withTuning(0.0, null, null, null));
        assertFlag("--clip", () -> PLAN.withTuning(Double.NaN, null, null, null));
        assertFlag("--learning-rate", () -> PLAN.withTuning(null, -1e-3, null, null));
        assertFlag("--batch", () -> PLAN.withTuning(null, null, 0, null));
        assertFlag("--examples-per-client", () -> PLAN.withTuning(null, null, 129, null)); // batch above the data
        assertFlag("--rank", () -> PLAN.withTuning(null, null, null, 0));
        assertFlag("--rank", () -> PLAN.withTuning(null, null, null, 1000));
    }

    private static void assertFlag(String flag, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().startsWith(flag + " must be"), ex.getMessage());
    }
}
