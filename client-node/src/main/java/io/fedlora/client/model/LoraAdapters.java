package io.fedlora.client.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraSites;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LoRA layers of one adapter on a model, created from a flat adapter in PEFT layout, with
 * A and B as arrays in the caller's manager. Reads back in the same layout order.
 */
public final class LoraAdapters implements AutoCloseable {

    private record Slot(int layer, LoraTarget target) {}

    private final AdapterLayout layout;
    private final NDManager manager;
    private final Map<Slot, LoraLinear> layers;
    /** Layout order: one array per layout tensor. */
    private final List<NDArray> arrays;
    private final List<Boolean> isA;

    private LoraAdapters(AdapterLayout layout, NDManager manager, Map<Slot, LoraLinear> layers,
            List<NDArray> arrays, List<Boolean> isA) {
        this.layout = layout;
        this.manager = manager;
        this.layers = layers;
        this.arrays = arrays;
        this.isA = isA;
    }

    /**
     * Wraps the model's projections named by the adapter's layout. Every tensor name must be a PEFT
     * LoRA name of this model, A and B must come in pairs, and shapes must fit the base weights.
     */
    public static LoraAdapters create(LlamaModel model, FlatAdapter adapter, double alpha, double dropout,
            NDManager parent) {
        Map<String, Slot> known = new HashMap<>();
        LoraSites sites = model.config().loraSites();
        for (int i = 0; i < sites.layers(); i++) {
            for (LoraSites.Site s : sites.perLayer()) {
                known.put(s.target().peftName(i, 'A'), new Slot(i, s.target()));
                known.put(s.target().peftName(i, 'B'), new Slot(i, s.target()));
            }
        }
        NDManager m = parent.newSubManager();
        try {
            Map<Slot, NDArray> aOf = new LinkedHashMap<>();
            Map<Slot, NDArray> bOf = new LinkedHashMap<>();
            List<NDArray> arrays = new ArrayList<>();
            List<Boolean> isA = new ArrayList<>();
            float[] v = adapter.values();
            int off = 0;
            for (TensorSpec spec : adapter.layout().getTensorsList()) {
                Slot slot = known.get(spec.getName());
                if (slot == null) {
                    throw new IllegalArgumentException("adapter tensor " + spec.getName()
                            + " is not a LoRA weight of this " + sites.modelType() + " model (" + sites.layers()
                            + " layers; modules " + sites.modules() + ")");
                }
                long[] shape = FlatAdapter.shape(spec);
                int n = (int) new Shape(shape).size();
                NDArray arr = OwnedArrays.of(m, Arrays.copyOfRange(v, off, off + n), new Shape(shape));
                off += n;
                boolean a = spec.getName().endsWith(".lora_A.weight");
                if ((a ? aOf : bOf).put(slot, arr) != null) {
                    throw new IllegalArgumentException("adapter tensor " + spec.getName() + " appears twice");
                }
                arrays.add(arr);
                isA.add(a);
            }
            Map<Slot, LoraLinear> layers = new LinkedHashMap<>();
            for (Map.Entry<Slot, NDArray> e : aOf.entrySet()) {
                Slot s = e.getKey();
                NDArray b = bOf.get(s);
                if (b == null) {
                    throw new IllegalArgumentException("adapter has lora_A but no lora_B for " + s.target().basePath(s.layer()));
                }
                try {
                    layers.put(s, new LoraLinear(model.frozenWeight(s.layer(), s.target()),
                            model.baseBias(s.layer(), s.target()), e.getValue(), b, alpha, dropout));
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(s.target().basePath(s.layer()) + ": " + ex.getMessage(), ex);
                }
            }
            if (bOf.size() != aOf.size()) {
                throw new IllegalArgumentException("adapter has lora_B tensors without lora_A");
            }
            return new LoraAdapters(adapter.layout(), m, Collections.unmodifiableMap(layers), arrays, isA);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The LoRA layer on a projection, or null when the adapter does not wrap it. */
    public LoraLinear get(int layer, LoraTarget target) {
        return layers.get(new Slot(layer, target));
    }

    public List<LoraLinear> layers() {
        return List.copyOf(layers.values());
    }

    /** The A arrays (when {@code a}) or B arrays, in layout order. */
    public List<NDArray> factors(boolean a) {
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; i < arrays.size(); i++) {
            if (isA.get(i) == a) {
                out.add(arrays.get(i));
            }
        }
        return out;
    }

    /** The current values as a flat adapter in the original layout. */
    public FlatAdapter toFlat() {
        int total = arrays.stream().mapToInt(x -> Math.toIntExact(x.getShape().size())).sum();
        float[] v = new float[total];
        int off = 0;
        for (NDArray x : arrays) {
            float[] part = x.toFloatArray();
            System.arraycopy(part, 0, v, off, part.length);
            off += part.length;
        }
        return new FlatAdapter(layout, v);
    }

    public AdapterLayout layout() {
        return layout;
    }

    @Override
    public void close() {
        manager.close();
    }
}
