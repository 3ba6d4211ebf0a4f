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

    /** An adapter read back from a PEFT directory, with the LoRA settings its config declares. */
    public record Loaded(FlatAdapter adapter, LoraConfig lora, String baseModel) {}

    /** Reads a PEFT LoRA directory for a model with these LoRA sites. */
    public static Loaded read(Path dir, LoraSites sites) throws IOException {
        Path cfgFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfgFile)) {
            throw new IOException(cfgFile + ": not found (is " + dir + " a PEFT adapter directory?)");
        }
        com.fasterxml.jackson.databind.JsonNode c;
        try {
            c = JSON.readTree(cfgFile.toFile());
        } catch (IOException e) {
            throw new IOException(cfgFile + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!"LORA".equals(c.path("peft_type").asText())) {
            throw new IOException(cfgFile + ": field peft_type must be LORA, got '" + c.path("peft_type").asText() + "'");
        }
        int r = c.path("r").asInt(0);
        if (r <= 0) {
            throw new IOException(cfgFile + ": field r must be a positive integer");
        }
        if (!c.path("lora_alpha").isNumber()) {
            throw new IOException(cfgFile + ": field lora_alpha must be a number");
        }
        if (!c.path("target_modules").isArray() || c.path("target_modules").isEmpty()) {
            throw new IOException(cfgFile + ": field target_modules must be a non-empty list");
        }
        LoraConfig.Builder lora = LoraConfig.newBuilder().setRank(r).setAlpha(c.path("lora_alpha").asDouble())
                .setDropout(c.path("lora_dropout").asDouble(0));
        c.path("target_modules").forEach(t -> lora.addTargetModules(t.asText()));
        io.fedlora.proto.v1.AdapterLayout layout;
        try {
            layout = LoraLayouts.of(sites, r, lora.getTargetModulesList());
        } catch (IllegalArgumentException e) {
            throw new IOException(cfgFile + ": " + e.getMessage(), e);
        }
        FlatAdapter adapter = FlatAdapter.read(layout, dir.resolve(WEIGHTS));
        return new Loaded(adapter, lora.build(), c.path("base_model_name_or_path").asText(""));
    }

    /** The PEFT {@value #CONFIG} text for these LoRA settings (also served zipped by the dashboard). */
    public static String configJson(LoraConfig lora, String baseModel) throws IOException {
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
