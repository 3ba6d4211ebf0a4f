package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {

    @TempDir
    Path dir;

    private static final String SMOL = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 576,
             "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
             "num_key_value_heads": 3, "rms_norm_eps": 1e-05, "rope_theta": 100000, "vocab_size": 49152,
             "tie_word_embeddings": true, "max_position_embeddings": 8192, "bos_token_id": 1,
             "eos_token_id": 2, "rope_scaling": null, "hidden_act": "silu"}
            """;

    private Path write(String json) throws Exception {
        Path p = dir.resolve("config.json");
        Files.writeString(p, json);
        return p;
    }

    @Test
    void readsHuggingFaceConfigWithDefaults() throws Exception {
        LlamaConfig c = LlamaConfig.read(write(SMOL));
        assertEquals(576, c.hiddenSize());
        assertEquals(64, c.headDim());
        assertEquals(3, c.kvGroups());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(2, c.eosTokenId());
        assertEquals(-1, c.padTokenId());
    }

    @Test
    void roundTripsThroughWrite() throws Exception {
        LlamaConfig c = TestModels.tiny(false);
        Path p = dir.resolve("out.json");
        c.write(p);
        assertEquals(c, LlamaConfig.read(p));
    }

    @Test
    void missingFieldNamesFileAndField() throws Exception {
        Path p = write(SMOL.replace("\"hidden_size\": 576,", ""));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaConfig.read(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
    }

    @Test
    void badValuesNameTheField() throws Exception {
        Path p = write(SMOL.replace("\"num_key_value_heads\": 3", "\"num_key_value_heads\": 4"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaConfig.read(p));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
        Path q = write(SMOL.replace("\"rope_theta\": 100000", "\"rope_theta\": \"big\""));
        assertTrue(assertThrows(ModelFormatException.class, () -> LlamaConfig.read(q)).getMessage()
                .contains("rope_theta"));
    }

    @Test
    void unsupportedModelTypeIsClear() throws Exception {
        Path p = write(SMOL.replace("\"model_type\": \"llama\"", "\"model_type\": \"gpt2\""));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaConfig.read(p));
        assertTrue(e.getMessage().contains("model_type") && e.getMessage().contains("gpt2"), e.getMessage());
        assertFalse(LlamaConfig.SUPPORTED_TYPES.contains("gpt2"));
    }
}
