package io.fedlora.client.data;

/**
 * Which example each position of a packed batch belongs to, and its position inside that example:
 * attention stays inside an example (block-diagonal causal) and rotary positions restart at each.
 *
 * @param exampleOf example index per flat position {@code row·length + t}; {@link #PADDING} for padding
 * @param positions position inside its example, per flat position
 */
public record Segments(int[] exampleOf, int[] positions, int examples) {

    public static final int PADDING = -1;

    public Segments {
        if (exampleOf.length != positions.length) {
            throw new IllegalArgumentException("segment arrays differ in length");
        }
    }
}
