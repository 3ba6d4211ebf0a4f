package io.fedlora.client.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.client.data.InstructionExample;
import io.fedlora.client.data.JsonlInstructions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTaskTest {

    @TempDir
    Path dir;

    @Test
    void operationsDoWhatTheySay() {
        assertEquals("bcda", DemoTask.apply("next", "abcz"));
        assertEquals("zabc", DemoTask.apply("prev", "abcd"));
        assertEquals("dcba", DemoTask.apply("reverse", "abcd"));
        assertEquals("bcda", DemoTask.apply("rotate", "abcd"));
        assertTrue(!DemoTask.PRETRAIN_OPS.contains(DemoTask.TASK), "the fine-tuning task must be new");
    }

    @Test
    void slicesAreDeterministicAndNonIid() throws Exception {
        DemoTask.Files files = DemoTask.write(dir, 4, 100, 50, 7);
        assertEquals(4, files.clientSlices().size());
        assertEquals(DemoTask.clientSlice(2, 4, 100, 7), JsonlInstructions.read(files.clientSlices().get(2)));
        assertEquals(DemoTask.heldOut(50, 7), JsonlInstructions.read(files.heldOut()));
        for (int k = 0; k < 4; k++) {
            char[] r = DemoTask.letterRange(k, 4);
            long local = 0;
            long total = 0;
            for (InstructionExample e : DemoTask.clientSlice(k, 4, 100, 7)) {
                for (char c : e.input().toCharArray()) {
                    local += c >= r[0] && c <= r[1] ? 1 : 0;
                    total++;
                }
            }
            assertTrue(local > 0.8 * total, "client " + k + " is not skewed: " + local + "/" + total);
        }
    }

    @Test
    void simulatedClientsEachHoldTheirOwnNonIidData() {
        int clients = 40;
        int n = 64;
        java.util.Set<List<InstructionExample>> slices = new java.util.HashSet<>();
        java.util.Set<InstructionExample> all = new java.util.HashSet<>();
        long examples = 0;
        for (int k = 0; k < clients; k++) {
            List<InstructionExample> s = DemoTask.simulatedClientSlice(k, n, 7);
            assertEquals(n, s.size());
            assertEquals(s, DemoTask.simulatedClientSlice(k, n, 7), "deterministic");
            assertTrue(slices.add(s), "client " + k + " holds another client's data");
            all.addAll(s);
            examples += s.size();
            char[] r = DemoTask.simulatedLetterRange(k);
            assertEquals(DemoTask.letterRange(k % 4, 4)[0], r[0], "client k draws from quarter k mod 4");
            long local = 0;
            long total = 0;
            for (InstructionExample e : s) {
                assertEquals(DemoTask.TASK, e.instruction());
                for (char c : e.input().toCharArray()) {
                    local += c >= r[0] && c <= r[1] ? 1 : 0;
                    total++;
                }
            }
            assertTrue(local > 0.8 * total, "client " + k + " is not skewed: " + local + "/" + total);
        }
        // Own streams, not copies: only short words from the same quarter can coincide by chance.
        assertTrue(all.size() > 0.9 * examples, all.size() + " distinct examples of " + examples);
        // and apart from the demo's own slices and held-out set of the same seed
        assertTrue(!slices.contains(DemoTask.clientSlice(0, 4, n, 7)));
        assertTrue(!DemoTask.simulatedClientSlice(0, n, 7).equals(DemoTask.heldOut(n, 7)));
    }

    @Test
    void tinyConfigFitsTheAlphabet() {
        assertEquals(CharTokenizerJson.vocabSize(DemoTask.ALPHABET), Pretrainer.tinyConfig().vocabSize());
        List<String> ops = DemoTask.PRETRAIN_OPS;
        assertEquals(4, ops.size());
    }
}
