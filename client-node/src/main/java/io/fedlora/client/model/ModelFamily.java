package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.LoraSites;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One architecture of decoder: what its config adds, which weights it has, where LoRA can attach,
 * and its forward pass written with the building blocks of {@link DecoderPass}. A new family is one
 * implementation added to {@link #ALL}.
 */
public interface ModelFamily {

    List<ModelFamily> ALL = List.of(LlamaFamily.LLAMA, LlamaFamily.MISTRAL, LlamaFamily.QWEN2, LlamaFamily.QWEN3,
            Phi3Family.PHI3, GemmaFamily.GEMMA2, GemmaFamily.GEMMA3);

    /** The family of a supported {@code model_type}. */
    static ModelFamily of(String modelType) {
        for (ModelFamily f : ALL) {
            if (f.modelType().equals(modelType)) {
                return f;
            }
        }
        throw new IllegalArgumentException("model_type '" + modelType + "' is not supported (supported: "
                + String.join(", ", types()) + ")");
    }

    static Set<String> types() {
        Set<String> s = new TreeSet<>();
        ALL.forEach(f -> s.add(f.modelType()));
        return Collections.unmodifiableSet(s);
    }

    /** The {@code model_type} of config.json. */
    String modelType();

    /** The {@code architectures} entry Hugging Face writes for it. */
    String architecture();

    /** Whether {@code tie_word_embeddings} defaults to true for it. */
    default boolean tiedByDefault() {
        return false;
    }

    /** Reads and checks the family's own config fields (activation included). */
    LlamaConfig.Variant readVariant(ConfigFields fields, int layers) throws ModelFormatException;

    /** Writes what {@link #readVariant} reads. */
    void writeVariant(LlamaConfig config, ObjectNode json);

    /** Hugging Face names and shapes of every weight, in a stable order. */
    Map<String, long[]> weightShapes(LlamaConfig config);

    /** The norm weight value that leaves its input unchanged: 1, or 0 where a norm multiplies by (1 + w). */
    default float identityNormWeight() {
        return 1f;
    }

    LoraSites loraSites(LlamaConfig config);

    /** The first hidden states [B, T, hidden]: the token embeddings, scaled where the family scales them. */
    NDArray embed(DecoderPass pass);

    /**
     * Decoder layer {@code i} on its input {@code h} [B, T, hidden]; the output has the same shape. Called
     * through {@link DecoderPass#layerOutput}, which scopes the layer's temporaries.
     */
    NDArray layer(DecoderPass pass, int i, NDArray h);

    /** Logits [..., vocab] of hidden states [..., hidden] after the last layer: final norm and head. */
    NDArray logits(DecoderPass pass, NDArray hidden);
}
