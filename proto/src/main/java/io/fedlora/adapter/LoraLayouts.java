package io.fedlora.adapter;

import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.TensorSpec;
import java.util.List;

/** Builds the adapter layout of a Llama-family model: per layer, per target module, A then B. */
public final class LoraLayouts {

    private LoraLayouts() {}

    /** The dimensions of a Llama-family decoder that decide LoRA shapes. */
    public record LlamaDims(int layers, int hidden, int intermediate, int heads, int kvHeads, int headDim) {
        int in(LoraTarget t) {
            return switch (t) {
                case O_PROJ -> heads * headDim;
                case DOWN_PROJ -> intermediate;
                default -> hidden;
            };
        }

        int out(LoraTarget t) {
            return switch (t) {
                case Q_PROJ -> heads * headDim;
                case K_PROJ, V_PROJ -> kvHeads * headDim;
                case O_PROJ, DOWN_PROJ -> hidden;
                case GATE_PROJ, UP_PROJ -> intermediate;
            };
        }
    }

    public static AdapterLayout llama(LlamaDims dims, int rank, List<String> targetModules) {
        if (rank <= 0) {
            throw new IllegalArgumentException("lora rank must be positive, got " + rank);
        }
        if (targetModules.isEmpty()) {
            throw new IllegalArgumentException("lora target_modules is empty");
        }
        AdapterLayout.Builder b = AdapterLayout.newBuilder();
        for (int layer = 0; layer < dims.layers(); layer++) {
            for (String m : targetModules) {
                LoraTarget t = LoraTarget.of(m);
                b.addTensors(spec(t.peftName(layer, 'A'), rank, dims.in(t)));
                b.addTensors(spec(t.peftName(layer, 'B'), dims.out(t), rank));
            }
        }
        return b.build();
    }

    private static TensorSpec spec(String name, long rows, long cols) {
        return TensorSpec.newBuilder().setName(name).addShape(rows).addShape(cols).build();
    }

    /**
     * Elements in all of the layout's tensors.
     *
     * @throws ArithmeticException if the count exceeds a long (a layout from the network may say anything;
     *     a wrapped sum once passed job validation as a small adapter)
     */
    public static long totalElements(AdapterLayout layout) {
        long n = 0;
        for (TensorSpec t : layout.getTensorsList()) {
            n = Math.addExact(n, TensorData.elementCount(t.getShapeList().stream().mapToLong(Long::longValue).toArray()));
        }
        return n;
    }

    public static boolean isLoraA(TensorSpec t) {
        return t.getName().endsWith(".lora_A.weight");
    }
}
