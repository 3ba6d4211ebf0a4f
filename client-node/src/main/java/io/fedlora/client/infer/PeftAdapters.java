package io.fedlora.client.infer;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.adapter.PeftAdapterDir;
import io.fedlora.adapter.SafetensorsFile;
import io.fedlora.adapter.TensorData;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads a PEFT LoRA directory for inference (merge or generation), strictly: on top of
 * {@link PeftAdapterDir#read}, refuses DoRA, rsLoRA and {@code fan_in_fan_out} adapters (their
 * update rule is not {@code (alpha/r)·B·A} on an [out, in] weight) and files holding tensors that
 * are not LoRA weights of this model for the declared target modules (which would otherwise be
 * dropped silently, e.g. an adapter made for a deeper model).
 */
public final class PeftAdapters {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftAdapters() {}

    public static PeftAdapterDir.Loaded read(Path adapterDir, LlamaConfig config) throws IOException {
        Path cfgFile = adapterDir.resolve(PeftAdapterDir.CONFIG);
        if (Files.isRegularFile(cfgFile)) {
            JsonNode c = null;
            try {
                c = JSON.readTree(cfgFile.toFile());
            } catch (IOException e) {
                // PeftAdapterDir.read reports it
            }
            if (c != null) {
                for (String flag : new String[] {"use_dora", "use_rslora", "fan_in_fan_out"}) {
                    if (c.path(flag).asBoolean(false)) {
                        throw new IOException(cfgFile + ": field " + flag + " is true; only plain LoRA is supported");
                    }
                }
            }
        }
        PeftAdapterDir.Loaded loaded = PeftAdapterDir.read(adapterDir, config.loraSites());
        Set<String> known = new HashSet<>();
        for (TensorData t : loaded.adapter().tensors()) {
            known.add(t.name());
        }
        Path weights = adapterDir.resolve(PeftAdapterDir.WEIGHTS);
        for (String name : SafetensorsFile.open(weights).entries().keySet()) {
            if (!known.contains(name)) {
                throw new ModelFormatException(weights, "tensor " + name + " is not a LoRA weight of this "
                        + config.numHiddenLayers() + "-layer model for target modules "
                        + loaded.lora().getTargetModulesList());
            }
        }
        return loaded;
    }

    /** The adapter as LoRA layers on {@code model} (no dropout), for {@link Generator}. */
    public static LoraAdapters load(LlamaModel model, Path adapterDir, NDManager parent) throws IOException {
        PeftAdapterDir.Loaded loaded = read(adapterDir, model.config());
        try {
            return LoraAdapters.create(model, loaded.adapter(), loaded.lora().getAlpha(), 0, parent);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(adapterDir, e.getMessage());
        }
    }
}
