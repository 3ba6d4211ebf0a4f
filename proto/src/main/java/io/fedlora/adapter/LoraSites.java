package io.fedlora.adapter;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The linear layers LoRA can wrap in a model: the same sites in each of {@code layers} decoder
 * layers, each with its input and output features. A model family says what they are; adapter
 * layouts, PEFT import and merging only need this.
 *
 * @param modelType the config's {@code model_type}, for error messages
 */
public record LoraSites(String modelType, int layers, List<Site> perLayer) {

    /** One wrappable projection and its [out, in] weight's dimensions. */
    public record Site(LoraTarget target, int in, int out) {}

    public LoraSites {
        perLayer = List.copyOf(perLayer);
    }

    /** The site of a module name, or an error naming the modules this model has. */
    public Site site(String module) {
        for (Site s : perLayer) {
            if (s.target().module().equals(module)) {
                return s;
            }
        }
        throw new IllegalArgumentException("lora target module '" + module + "' is not a layer of " + modelType
                + " (its modules: " + modules() + ")");
    }

    public String modules() {
        return perLayer.stream().map(s -> s.target().module()).collect(Collectors.joining(", "));
    }
}
