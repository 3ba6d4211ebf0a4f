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
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("gemma2, gemma3_text, llama, mistral, phi3, qwen2, qwen3"), e.getMessage());
        assertFalse(LlamaConfig.SUPPORTED_TYPES.contains("gpt2"));
    }

    // Abbreviated config.json files of real checkpoints (Qwen3-0.6B, Phi-3-mini-4k, gemma-2-2b, gemma-3-1b).
    private static final String QWEN3 = """
            {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 1024, "head_dim": 128,
             "intermediate_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8,
             "rms_norm_eps": 1e-06, "rope_theta": 1000000, "vocab_size": 151936, "tie_word_embeddings": true,
             "max_position_embeddings": 40960, "attention_bias": false, "hidden_act": "silu", "sliding_window": null,
             "use_sliding_window": false, "bos_token_id": 151643, "eos_token_id": 151645, "rope_scaling": null}
            """;
    private static final String PHI3 = """
            {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 3072,
             "intermediate_size": 8192, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
             "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "vocab_size": 32064, "tie_word_embeddings": false,
             "max_position_embeddings": 4096, "original_max_position_embeddings": 4096, "sliding_window": 2047,
             "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 32000, "pad_token_id": 32000, "rope_scaling": null}
            """;
    private static final String GEMMA2 = """
            {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 2304, "head_dim": 256,
             "intermediate_size": 9216, "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4,
             "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "vocab_size": 256000, "max_position_embeddings": 8192,
             "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 256,
             "sliding_window": 4096, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
             "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0}
            """;
    private static final String GEMMA3 = """
            {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "hidden_size": 1152, "head_dim": 256,
             "intermediate_size": 6912, "num_hidden_layers": 26, "num_attention_heads": 4, "num_key_value_heads": 1,
             "rms_norm_eps": 1e-06, "rope_theta": 1000000, "rope_local_base_freq": 10000, "vocab_size": 262144,
             "max_position_embeddings": 32768, "hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 256,
             "sliding_window": 512, "sliding_window_pattern": 6, "attn_logit_softcapping": null,
             "final_logit_softcapping": null, "rope_scaling": null, "bos_token_id": 2, "eos_token_id": [1, 106],
             "pad_token_id": 0}
            """;

    @Test
    void readsRealConfigsOfTheNewFamilies() throws Exception {
        LlamaConfig qwen3 = LlamaConfig.read(write(QWEN3));
        assertEquals(128, qwen3.headDim());
        assertTrue(qwen3.headDim() != qwen3.hiddenSize() / qwen3.numAttentionHeads());
        assertEquals(LlamaConfig.Variant.NONE, qwen3.variant());

        LlamaConfig phi3 = LlamaConfig.read(write(PHI3));
        assertEquals(2047, phi3.variant().slidingWindow());
        assertTrue(phi3.variant().sliding(0) && phi3.variant().sliding(31));
        assertEquals("qkv_proj, o_proj, gate_up_proj, down_proj", phi3.loraSites().modules());
        assertEquals((32 + 2 * 32) * 96, phi3.loraSites().site("qkv_proj").out());

        LlamaConfig gemma2 = LlamaConfig.read(write(GEMMA2));
        assertTrue(gemma2.tieWordEmbeddings(), "Gemma ties its head by default");
        assertEquals(50.0, gemma2.variant().attnLogitSoftcapping());
        assertEquals(30.0, gemma2.variant().finalLogitSoftcapping());
        assertTrue(gemma2.variant().sliding(0) && !gemma2.variant().sliding(1) && gemma2.variant().sliding(24));

        LlamaConfig gemma3 = LlamaConfig.read(write(GEMMA3));
        assertEquals(0.0, gemma3.variant().attnLogitSoftcapping());
        assertEquals(10000.0, gemma3.variant().ropeLocalBaseFreq());
        for (int i = 0; i < 26; i++) {
            assertEquals(i % 6 != 5, gemma3.variant().sliding(i), "layer " + i);
        }
        assertEquals(1, gemma3.eosTokenId());
        for (LlamaConfig c : new LlamaConfig[] {qwen3, phi3, gemma2, gemma3}) {
            Path out = dir.resolve(c.modelType() + "-out.json");
            c.write(out);
            assertEquals(c, LlamaConfig.read(out), c.modelType());
        }
    }

    @Test
    void familySpecificFieldsNameTheField() throws Exception {
        Path act = write(GEMMA2.replace("\"hidden_activation\": \"gelu_pytorch_tanh\"", "\"hidden_activation\": \"gelu\""));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaConfig.read(act));
        assertTrue(e.getMessage().contains("hidden_activation") && e.getMessage().contains("gelu_pytorch_tanh"),
                e.getMessage());
        Path types = write(GEMMA3.replace("\"sliding_window_pattern\": 6", "\"layer_types\": [\"sliding_attention\"]"));
        assertTrue(assertThrows(ModelFormatException.class, () -> LlamaConfig.read(types)).getMessage()
                .contains("layer_types"));
        Path window = write(QWEN3.replace("\"use_sliding_window\": false", "\"use_sliding_window\": true"));
        assertTrue(assertThrows(ModelFormatException.class, () -> LlamaConfig.read(window)).getMessage()
                .contains("use_sliding_window"));
        Path rope = write(PHI3.replace("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"longrope\", \"factor\": 1}"));
        assertTrue(assertThrows(ModelFormatException.class, () -> LlamaConfig.read(rope)).getMessage()
                .contains("longrope"));
    }
}
