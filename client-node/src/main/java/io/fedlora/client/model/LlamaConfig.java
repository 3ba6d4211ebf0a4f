package io.fedlora.client.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.LoraLayouts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The architecture of a Llama-family decoder, as read from a Hugging Face {@code config.json}.
 * Token ids are -1 when the config does not name them.
 */
public record LlamaConfig(String modelType, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta,
        int vocabSize, boolean tieWordEmbeddings, int maxPositionEmbeddings, boolean attentionBias,
        int bosTokenId, int eosTokenId, int padTokenId) {

    public static final Set<String> SUPPORTED_TYPES = Set.of("llama", "qwen2", "mistral");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public LlamaConfig {
        check(SUPPORTED_TYPES.contains(modelType), "model_type", "must be one of " + SUPPORTED_TYPES + ", got " + modelType);
        check(hiddenSize > 0, "hidden_size", "must be positive");
        check(intermediateSize > 0, "intermediate_size", "must be positive");
        check(numHiddenLayers > 0, "num_hidden_layers", "must be positive");
        check(numAttentionHeads > 0, "num_attention_heads", "must be positive");
        check(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0, "num_key_value_heads",
                "must be positive and divide num_attention_heads (" + numAttentionHeads + "), got " + numKeyValueHeads);
        check(headDim > 0 && headDim % 2 == 0, "head_dim", "must be positive and even, got " + headDim);
        check(rmsNormEps > 0, "rms_norm_eps", "must be positive");
        check(ropeTheta > 0, "rope_theta", "must be positive");
        check(vocabSize > 0, "vocab_size", "must be positive");
        check(maxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
    }

    private static void check(boolean ok, String field, String message) {
        if (!ok) {
            throw new IllegalArgumentException("config field " + field + ": " + message);
        }
    }

    /** Reads {@code config.json}; every error names the file and the field. */
    public static LlamaConfig read(Path configJson) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(configJson.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(configJson, "not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(configJson, "not a JSON object");
        }
        Reader r = new Reader(configJson, root);
        String type = r.string("model_type");
        if (!SUPPORTED_TYPES.contains(type)) {
            throw new ModelFormatException(configJson, "field model_type: '" + type
                    + "' is not supported (supported: llama, qwen2, mistral)");
        }
        JsonNode scaling = root.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new ModelFormatException(configJson, "field rope_scaling: " + scaling
                    + " is not supported (only plain rotary embeddings)");
        }
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(configJson, "field hidden_act: '" + act + "' is not supported (only silu)");
        }
        int hidden = r.positiveInt("hidden_size", null);
        int heads = r.positiveInt("num_attention_heads", null);
        if (!root.hasNonNull("head_dim") && hidden % heads != 0) {
            throw new ModelFormatException(configJson, "field head_dim: absent and hidden_size " + hidden
                    + " is not a multiple of num_attention_heads " + heads);
        }
        try {
            return new LlamaConfig(type, hidden,
                    r.positiveInt("intermediate_size", null),
                    r.positiveInt("num_hidden_layers", null),
                    heads,
                    r.positiveInt("num_key_value_heads", heads),
                    r.positiveInt("head_dim", hidden / heads),
                    r.positiveDouble("rms_norm_eps", 1e-6),
                    r.positiveDouble("rope_theta", 10000.0),
                    r.positiveInt("vocab_size", null),
                    r.bool("tie_word_embeddings", false),
                    r.positiveInt("max_position_embeddings", 2048),
                    r.bool("attention_bias", false),
                    r.tokenId("bos_token_id"),
                    r.tokenId("eos_token_id"),
                    r.tokenId("pad_token_id"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configJson, e.getMessage());
        }
    }

    public static LlamaConfig readDir(Path modelDir) throws IOException {
        return read(modelDir.resolve("config.json"));
    }

    /** Writes a Hugging Face compatible {@code config.json} (float32 weights). */
    public void write(Path configJson) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(switch (modelType) {
            case "qwen2" -> "Qwen2ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default -> "LlamaForCausalLM";
        });
        n.put("model_type", modelType);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", headDim);
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        n.putNull("rope_scaling");
        n.put("vocab_size", vocabSize);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("attention_bias", attentionBias);
        n.put("mlp_bias", false);
        if (bosTokenId >= 0) {
            n.put("bos_token_id", bosTokenId);
        }
        if (eosTokenId >= 0) {
            n.put("eos_token_id", eosTokenId);
        }
        if (padTokenId >= 0) {
            n.put("pad_token_id", padTokenId);
        }
        n.put("torch_dtype", "float32");
        Files.writeString(configJson, JSON.writeValueAsString(n) + "\n");
    }

    public int kvGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public LoraLayouts.LlamaDims dims() {
        return new LoraLayouts.LlamaDims(numHiddenLayers, hiddenSize, intermediateSize, numAttentionHeads,
                numKeyValueHeads, headDim);
    }

    /** The sequence-end id training appends; falls back to the pad id only if the config has no EOS. */
    public int requireEos(Path where) throws ModelFormatException {
        if (eosTokenId < 0) {
            throw new ModelFormatException(where, "field eos_token_id: absent; training needs an end-of-sequence id");
        }
        return eosTokenId;
    }

    private record Reader(Path file, JsonNode root) {
        String string(String field) throws ModelFormatException {
            JsonNode v = root.get(field);
            if (v == null || !v.isTextual()) {
                throw new ModelFormatException(file, "field " + field + ": missing or not a string");
            }
            return v.asText();
        }

        int positiveInt(String field, Integer dflt) throws ModelFormatException {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) {
                if (dflt == null) {
                    throw new ModelFormatException(file, "field " + field + ": missing");
                }
                return dflt;
            }
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
                throw new ModelFormatException(file, "field " + field + ": must be a positive integer, got " + v);
            }
            return v.asInt();
        }

        double positiveDouble(String field, double dflt) throws ModelFormatException {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) {
                return dflt;
            }
            if (!v.isNumber() || v.asDouble() <= 0) {
                throw new ModelFormatException(file, "field " + field + ": must be a positive number, got " + v);
            }
            return v.asDouble();
        }

        boolean bool(String field, boolean dflt) throws ModelFormatException {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) {
                return dflt;
            }
            if (!v.isBoolean()) {
                throw new ModelFormatException(file, "field " + field + ": must be true or false, got " + v);
            }
            return v.asBoolean();
        }

        /** A token id, or the first of a list of ids (Llama 3 lists several EOS ids); -1 when absent. */
        int tokenId(String field) throws ModelFormatException {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) {
                return -1;
            }
            if (v.isArray() && v.size() > 0) {
                v = v.get(0);
            }
            if (!v.isIntegralNumber() || v.asInt() < 0) {
                throw new ModelFormatException(file, "field " + field + ": must be a non-negative integer, got " + v);
            }
            return v.asInt();
        }
    }
}
