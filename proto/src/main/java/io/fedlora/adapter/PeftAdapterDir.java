package io.fedlora.adapter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.proto.v1.LoraConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * An adapter directory in the Hugging Face PEFT layout ({@code adapter_config.json} and
 * {@code adapter_model.safetensors}), which PEFT and PEFT-reading servers load unchanged.
 */
public final class PeftAdapterDir {

    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftAdapterDir() {}

    /** Writes into a temporary sibling directory and renames it into place: never half-written. */
    public static void write(Path dir, FlatAdapter adapter, LoraConfig lora, String baseModel) throws IOException {
        Path abs = dir.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".");
        try {
            AtomicFiles.write(tmp.resolve(WEIGHTS), adapter.toSafetensors());
            AtomicFiles.writeString(tmp.resolve(CONFIG), configJson(lora, baseModel));
            if (Files.exists(abs)) {
                deleteTree(abs);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
    }

    static String configJson(LoraConfig lora, String baseModel) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", lora.getRank());
        c.put("lora_alpha", lora.getAlpha());
        c.put("lora_dropout", lora.getDropout());
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        lora.getTargetModulesList().forEach(c.putArray("target_modules")::add);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c);
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
