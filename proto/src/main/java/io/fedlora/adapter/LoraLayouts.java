package io.fedlora.adapter;

import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.TensorSpec;
import java.util.List;

/** Builds the adapter layout of a model: per layer, per target module, A then B. */
public final class LoraLayouts {

    private LoraLayouts() {}

    /** The dimensions of a Llama-style decoder (separate q/k/v and gate/up projections). */
    public record LlamaDims(int layers, int hidden, int intermediate, int heads, int kvHeads, int headDim) {
        /** Its seven projections, named as for {@code modelType}. */
        public LoraSites sites(String modelType) {
            int q = heads * headDim;
            int kv = kvHeads * headDim;
            return new LoraSites(modelType, layers, List.of(
                    new LoraSites.Site(LoraTarget.Q_PROJ, hidden, q),
                    new LoraSites.Site(LoraTarget.K_PROJ, hidden, kv),
                    new LoraSites.Site(LoraTarget.V_PROJ, hidden, kv),
                    new LoraSites.Site(LoraTarget.O_PROJ, q, hidden),
                    new LoraSites.Site(LoraTarget.GATE_PROJ, hidden, intermediate),
                    new LoraSites.Site(LoraTarget.UP_PROJ, hidden, intermediate),
                    new LoraSites.Site(LoraTarget.DOWN_PROJ, intermediate, hidden)));
        }
    }

    public static AdapterLayout llama(LlamaDims dims, int rank, List<String> targetModules) {
        return of(dims.sites("llama"), rank, targetModules);
    }

    /** The layout for these target modules, each of which must be one of the model's sites. */
    public static AdapterLayout of(LoraSites sites, int rank, List<String> targetModules) {
        if (rank <= 0) {
            throw new IllegalArgumentException("lora rank must be positive, got " + rank);
        }
        if (targetModules.isEmpty()) {
            throw new IllegalArgumentException("lora target_modules is empty");
        }
        AdapterLayout.Builder b = AdapterLayout.newBuilder();
        for (int layer = 0; layer < sites.layers(); layer++) {
            for (String m : targetModules) {
                LoraSites.Site s = sites.site(m);
                b.addTensors(spec(s.target().peftName(layer, 'A'), rank, s.in()));
                b.addTensors(spec(s.target().peftName(layer, 'B'), s.out(), rank));
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
