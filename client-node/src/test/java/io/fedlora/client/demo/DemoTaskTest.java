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
    void tinyConfigFitsTheAlphabet() {
        assertEquals(CharTokenizerJson.vocabSize(DemoTask.ALPHABET), Pretrainer.tinyConfig().vocabSize());
        List<String> ops = DemoTask.PRETRAIN_OPS;
        assertEquals(4, ops.size());
    }
}
