package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RopeScalingConfigTest {

    @TempDir
    Path dir;

    private LlamaConfig read(String scaling) throws Exception {
        Path p = dir.resolve("config.json");
        Files.writeString(p, """
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "vocab_size": 100, "max_position_embeddings": 8192,
                 "rope_theta": 500000.0, "rope_scaling": %s}
                """.formatted(scaling));
        return LlamaConfig.read(p);
    }

    @Test
    void readsLlama31Scaling() throws Exception {
        LlamaConfig c = read("""
                {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                 "original_max_position_embeddings": 8192, "rope_type": "llama3"}""");
        assertEquals(LlamaConfig.RopeScaling.llama3(8.0, 1.0, 4.0, 8192), c.ropeScaling());
    }

    @Test
    void readsOldStyleTypeKeyAndDefault() throws Exception {
        assertEquals(LlamaConfig.RopeScaling.linear(2.0), read("{\"type\": \"linear\", \"factor\": 2.0}").ropeScaling());
        assertEquals(LlamaConfig.RopeScaling.dynamic(4.0), read("{\"type\": \"dynamic\", \"factor\": 4}").ropeScaling());
        assertNull(read("{\"rope_type\": \"default\"}").ropeScaling());
        assertNull(read("null").ropeScaling());
    }

    @Test
    void rejectsUnsupportedOrIncompleteScalingNamingTheField() throws Exception {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> read("{\"rope_type\": \"yarn\", \"factor\": 4.0}"));
        assertTrue(e.getMessage().contains("rope_scaling") && e.getMessage().contains("yarn"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> read("{\"rope_type\": \"llama3\", \"factor\": 8.0}"));
        assertTrue(e.getMessage().contains("low_freq_factor"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> read("{\"rope_type\": \"linear\"}"));
        assertTrue(e.getMessage().contains("rope_scaling.factor"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> read("{\"rope_type\": \"linear\", \"factor\": -1}"));
        assertTrue(e.getMessage().contains("factor"), e.getMessage());
    }

    @Test
    void linearScalingDividesEveryFrequency() throws Exception {
        double[] plain = read("null").ropeInverseFrequencies();
        double[] lin = read("{\"type\": \"linear\", \"factor\": 4.0}").ropeInverseFrequencies();
        for (int i = 0; i < plain.length; i++) {
            assertEquals(plain[i] / 4, lin[i], 1e-18);
        }
    }
}
