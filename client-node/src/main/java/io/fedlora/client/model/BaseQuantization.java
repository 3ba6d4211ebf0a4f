package io.fedlora.client.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the frozen base weights of the decoder blocks' linear layers are held in memory. Embeddings,
 * norms and the output head are always float32; LoRA factors never change precision.
 */
public enum BaseQuantization {
    /** float32, as loaded (F16/BF16 checkpoints are widened). */
    NONE,
    /** 4-bit NormalFloat in blocks of 64, block scales double-quantised (QLoRA); see {@link Nf4}. */
    NF4;

    /** The flag value ({@code none}, {@code nf4}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a flag value; an unknown one is an error listing those supported. */
    public static BaseQuantization parse(String value) {
        for (BaseQuantization q : values()) {
            if (q.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
                return q;
            }
        }
        throw new IllegalArgumentException("base quantization '" + value + "' is not supported (supported: "
                + Arrays.stream(values()).map(BaseQuantization::label).collect(Collectors.joining(", ")) + ")");
    }
}
