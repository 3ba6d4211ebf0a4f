package io.fedlora.client.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.LoraSites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The architecture of a decoder of one of the {@link ModelFamily model families}, as read from a
 * Hugging Face {@code config.json}: the dimensions every family has, plus the family-specific
 * {@link Variant}. Token ids are -1 when the config does not name them.
 */
public record LlamaConfig(String modelType, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta,
        int vocabSize, boolean tieWordEmbeddings, int maxPositionEmbeddings, boolean attentionBias,
        int bosTokenId, int eosTokenId, int padTokenId, RopeScaling ropeScaling, Variant variant) {

    public static final Set<String> SUPPORTED_TYPES = ModelFamily.types();
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The {@code rope_scaling} block of {@code config.json}. Types (Hugging Face's formulas for the
     * inverse frequencies {@code inv_i = theta^(-2i/d)}):
     * <ul>
     *   <li>{@code linear}: positions divided by {@code factor}, i.e. {@code inv_i / factor};
     *   <li>{@code dynamic} (NTK): Hugging Face rescales the base only once a sequence exceeds
     *       {@code max_position_embeddings}; this model never runs past that length, where the
     *       dynamic formula equals plain rotary embeddings, so it is treated as its static formula at
     *       (at most) max positions: unchanged frequencies;
     *   <li>{@code llama3} (Llama 3.1): with {@code L = original_max_position_embeddings},
     *       wavelength {@code w = 2π / inv}: {@code w < L / high_freq_factor} keeps {@code inv},
     *       {@code w > L / low_freq_factor} uses {@code inv / factor}, and in between
     *       {@code s = (L / w - low_freq_factor) / (high_freq_factor - low_freq_factor)},
     *       {@code (1 - s)·inv / factor + s·inv}.
     * </ul>
     */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositionEmbeddings) {

        public static final Set<String> TYPES = Set.of("linear", "dynamic", "llama3");

        public RopeScaling {
            check(TYPES.contains(type), "rope_scaling.rope_type", "must be one of " + TYPES + ", got " + type);
            check(factor > 0, "rope_scaling.factor", "must be positive");
            if (type.equals("llama3")) {
                check(lowFreqFactor > 0 && highFreqFactor > lowFreqFactor, "rope_scaling.high_freq_factor",
                        "llama3 needs 0 < low_freq_factor < high_freq_factor");
                check(originalMaxPositionEmbeddings > 0, "rope_scaling.original_max_position_embeddings",
                        "must be positive");
            }
        }

        public static RopeScaling linear(double factor) {
            return new RopeScaling("linear", factor, 0, 0, 0);
        }

        public static RopeScaling dynamic(double factor) {
            return new RopeScaling("dynamic", factor, 0, 0, 0);
        }

        public static RopeScaling llama3(double factor, double low, double high, int originalMax) {
            return new RopeScaling("llama3", factor, low, high, originalMax);
        }
    }

    /**
     * Settings only some families have; zero (or empty) where the family has none.
     *
     * @param queryPreAttnScalar attention scores are scaled by its inverse square root instead of head_dim's (Gemma)
     * @param attnLogitSoftcapping attention scores become {@code cap·tanh(score / cap)} (Gemma 2)
     * @param finalLogitSoftcapping the same on the output logits (Gemma 2)
     * @param slidingWindow a query sees only the last this-many positions, itself included, in sliding layers
     * @param layerTypes per layer {@code sliding_attention} or {@code full_attention}; empty with a window:
     *     every layer slides (Mistral, Phi-3)
     * @param ropeLocalBaseFreq the rotary base of sliding layers, without rope scaling (Gemma 3)
     */
    public record Variant(double queryPreAttnScalar, double attnLogitSoftcapping, double finalLogitSoftcapping,
            int slidingWindow, List<String> layerTypes, double ropeLocalBaseFreq) {

        public static final String SLIDING = "sliding_attention";
        public static final String FULL = "full_attention";
        public static final Variant NONE = new Variant(0, 0, 0, 0, List.of(), 0);

        public Variant {
            layerTypes = List.copyOf(layerTypes);
            check(queryPreAttnScalar >= 0, "query_pre_attn_scalar", "must be positive");
            check(attnLogitSoftcapping >= 0, "attn_logit_softcapping", "must be positive");
            check(finalLogitSoftcapping >= 0, "final_logit_softcapping", "must be positive");
            check(slidingWindow >= 0, "sliding_window", "must be positive");
            check(ropeLocalBaseFreq >= 0, "rope_local_base_freq", "must be positive");
        }

        /** Whether a layer attends through the sliding window. */
        public boolean sliding(int layer) {
            return slidingWindow > 0 && (layerTypes.isEmpty() || layerTypes.get(layer).equals(SLIDING));
        }
    }

    /** A config without rope scaling. */
    public LlamaConfig(String modelType, int hiddenSize, int intermediateSize, int numHiddenLayers,
            int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta,
            int vocabSize, boolean tieWordEmbeddings, int maxPositionEmbeddings, boolean attentionBias,
            int bosTokenId, int eosTokenId, int padTokenId) {
        this(modelType, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim,
                rmsNormEps, ropeTheta, vocabSize, tieWordEmbeddings, maxPositionEmbeddings, attentionBias, bosTokenId,
                eosTokenId, padTokenId, null, Variant.NONE);
    }

    /** A config without family-specific settings. */
    public LlamaConfig(String modelType, int hiddenSize, int intermediateSize, int numHiddenLayers,
            int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta,
            int vocabSize, boolean tieWordEmbeddings, int maxPositionEmbeddings, boolean attentionBias,
            int bosTokenId, int eosTokenId, int padTokenId, RopeScaling ropeScaling) {
        this(modelType, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim,
                rmsNormEps, ropeTheta, vocabSize, tieWordEmbeddings, maxPositionEmbeddings, attentionBias, bosTokenId,
                eosTokenId, padTokenId, ropeScaling, Variant.NONE);
    }

    /** The same config with other rope scaling (null for none). */
    public LlamaConfig withRopeScaling(RopeScaling scaling) {
        return new LlamaConfig(modelType, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, ropeTheta, vocabSize, tieWordEmbeddings, maxPositionEmbeddings,
                attentionBias, bosTokenId, eosTokenId, padTokenId, scaling, variant);
    }

    /** The same config with other family-specific settings. */
    public LlamaConfig withVariant(Variant v) {
        return new LlamaConfig(modelType, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, ropeTheta, vocabSize, tieWordEmbeddings, maxPositionEmbeddings,
                attentionBias, bosTokenId, eosTokenId, padTokenId, ropeScaling, v);
    }

    public ModelFamily family() {
        return ModelFamily.of(modelType);
    }

    /** The unscaled rotary inverse frequencies of sliding layers with their own base (Gemma 3). */
    public double[] localRopeInverseFrequencies() {
        return inverseFrequencies(variant.ropeLocalBaseFreq());
    }

    private double[] inverseFrequencies(double theta) {
        int half = headDim / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        return inv;
    }

    /** The headDim/2 rotary inverse frequencies, with {@link #ropeScaling} applied. */
    public double[] ropeInverseFrequencies() {
        int half = headDim / 2;
        double[] inv = inverseFrequencies(ropeTheta);
        if (ropeScaling == null) {
            return inv;
        }
        RopeScaling s = ropeScaling;
        switch (s.type()) {
            case "linear" -> {
                for (int i = 0; i < half; i++) {
                    inv[i] /= s.factor();
                }
            }
            case "llama3" -> {
                double l = s.originalMaxPositionEmbeddings();
                double lowWavelen = l / s.lowFreqFactor();
                double highWavelen = l / s.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowWavelen) {
                        inv[i] /= s.factor();
                    } else if (wavelen >= highWavelen) {
                        double smooth = (l / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                        inv[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
                    }
                }
            }
            default -> {
                // dynamic: unchanged within max_position_embeddings (see RopeScaling).
            }
        }
        return inv;
    }

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
        check(variant != null, "variant", "must not be null");
        check(variant.layerTypes().isEmpty() || variant.layerTypes().size() == numHiddenLayers, "layer_types",
                "must name one type per layer (" + numHiddenLayers + "), got " + variant.layerTypes().size());
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
        ConfigFields r = new ConfigFields(configJson, root);
        String type = r.string("model_type");
        if (!SUPPORTED_TYPES.contains(type)) {
            throw new ModelFormatException(configJson, "field model_type: '" + type
                    + "' is not supported (supported: " + String.join(", ", SUPPORTED_TYPES.stream().sorted().toList())
                    + ")");
        }
        ModelFamily family = ModelFamily.of(type);
        RopeScaling ropeScaling = ropeScaling(configJson, root.get("rope_scaling"));
        int hidden = r.positiveInt("hidden_size", null);
        int heads = r.positiveInt("num_attention_heads", null);
        if (!root.hasNonNull("head_dim") && hidden % heads != 0) {
            throw new ModelFormatException(configJson, "field head_dim: absent and hidden_size " + hidden
                    + " is not a multiple of num_attention_heads " + heads);
        }
        int layers = r.positiveInt("num_hidden_layers", null);
        Variant variant = family.readVariant(r, layers);
        try {
            return new LlamaConfig(type, hidden,
                    r.positiveInt("intermediate_size", null),
                    layers,
                    heads,
                    r.positiveInt("num_key_value_heads", heads),
                    r.positiveInt("head_dim", hidden / heads),
                    r.positiveDouble("rms_norm_eps", 1e-6),
                    r.positiveDouble("rope_theta", 10000.0),
                    r.positiveInt("vocab_size", null),
                    r.bool("tie_word_embeddings", family.tiedByDefault()),
                    r.positiveInt("max_position_embeddings", 2048),
                    r.bool("attention_bias", false),
                    r.tokenId("bos_token_id"),
                    r.tokenId("eos_token_id"),
                    r.tokenId("pad_token_id"),
                    ropeScaling,
                    variant);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configJson, e.getMessage());
        }
    }

    private static RopeScaling ropeScaling(Path file, JsonNode s) throws ModelFormatException {
        if (s == null || s.isNull()) {
            return null;
        }
        if (!s.isObject()) {
            throw new ModelFormatException(file, "field rope_scaling: must be an object or null, got " + s);
        }
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("");
        if (type.equals("default")) {
            return null;
        }
        if (!RopeScaling.TYPES.contains(type)) {
            throw new ModelFormatException(file, "field rope_scaling: type '" + type
                    + "' is not supported (supported: linear, dynamic, llama3)");
        }
        if (!s.path("factor").isNumber()) {
            throw new ModelFormatException(file, "field rope_scaling.factor: missing or not a number");
        }
        if (type.equals("llama3")) {
            for (String f : new String[] {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
                if (!s.path(f).isNumber()) {
                    throw new ModelFormatException(file, "field rope_scaling." + f + ": missing or not a number");
                }
            }
        }
        try {
            return new RopeScaling(type, s.get("factor").asDouble(), s.path("low_freq_factor").asDouble(0),
                    s.path("high_freq_factor").asDouble(0), s.path("original_max_position_embeddings").asInt(0));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage());
        }
    }

    public static LlamaConfig readDir(Path modelDir) throws IOException {
        return read(modelDir.resolve("config.json"));
    }

    /** Writes a Hugging Face compatible {@code config.json} (float32 weights). */
    public void write(Path configJson) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(family().architecture());
        n.put("model_type", modelType);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", headDim);
        family().writeVariant(this, n);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        if (ropeScaling == null) {
            n.putNull("rope_scaling");
        } else {
            ObjectNode rs = n.putObject("rope_scaling");
            rs.put("rope_type", ropeScaling.type());
            rs.put("factor", ropeScaling.factor());
            if (ropeScaling.type().equals("llama3")) {
                rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
                rs.put("high_freq_factor", ropeScaling.highFreqFactor());
                rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
        }
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

    /** The projections LoRA can wrap in this model, with their dimensions. */
    public LoraSites loraSites() {
        return family().loraSites(this);
    }

    /** The sequence-end id training appends; falls back to the pad id only if the config has no EOS. */
    public int requireEos(Path where) throws ModelFormatException {
        if (eosTokenId < 0) {
            throw new ModelFormatException(where, "field eos_token_id: absent; training needs an end-of-sequence id");
        }
        return eosTokenId;
    }
}
