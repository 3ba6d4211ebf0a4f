package io.fedlora.client.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.adapter.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small random Hugging Face checkpoints (config.json + safetensors) for tests. */
public final class RandomCheckpoints {

    private RandomCheckpoints() {}

    /** Configs of each supported model type, small enough for a scalar reference. */
    public static LlamaConfig llama() {
        return new LlamaConfig("llama", 32, 40, 2, 4, 2, 8, 1e-5, 10000.0, 50, false, 64, false, 1, 2, -1);
    }

    public static LlamaConfig qwen2() {
        return new LlamaConfig("qwen2", 32, 40, 2, 4, 1, 8, 1e-6, 1000000.0, 50, true, 64, false, 1, 2, -1);
    }

    public static LlamaConfig mistral() {
        return new LlamaConfig("mistral", 24, 36, 2, 3, 3, 8, 1e-5, 10000.0, 50, false, 64, false, 1, 2, -1);
    }

    /** Qwen3: head_dim 16, not hidden / heads (as in the real sizes); per-head q/k norms; tied head. */
    public static LlamaConfig qwen3() {
        return new LlamaConfig("qwen3", 32, 40, 2, 4, 2, 16, 1e-6, 1000000.0, 50, true, 64, false, 1, 2, -1);
    }

    /** Phi-3: fused projections, a sliding window of 6 on every layer. */
    public static LlamaConfig phi3() {
        return new LlamaConfig("phi3", 32, 40, 2, 4, 2, 8, 1e-5, 10000.0, 50, false, 64, false, 1, 2, -1)
                .withVariant(new LlamaConfig.Variant(0, 0, 0, 6, List.of(), 0));
    }

    /**
     * Gemma 2 with every detail large enough to matter on 14 tokens: query_pre_attn_scalar 24 (not
     * head_dim 16), soft caps 2 and 1.5, a window of 4 on layer 0 (layer 1 global).
     */
    public static LlamaConfig gemma2() {
        return new LlamaConfig("gemma2", 32, 40, 2, 4, 2, 16, 1e-6, 10000.0, 50, true, 64, false, 2, 1, 0)
                .withVariant(new LlamaConfig.Variant(24, 2.0, 1.5, 4, List.of(LlamaConfig.Variant.SLIDING,
                        LlamaConfig.Variant.FULL), 0));
    }

    /**
     * Gemma 3 text: 3 layers, sliding (window 5) but every third; local rotary base 100 against a
     * global 10⁶ with linear rope scaling; query_pre_attn_scalar 12 against head_dim 8; no soft caps.
     */
    public static LlamaConfig gemma3() {
        return new LlamaConfig("gemma3_text", 32, 40, 3, 4, 1, 8, 1e-6, 1000000.0, 50, true, 64, false, 2, 1, 0,
                LlamaConfig.RopeScaling.linear(2.0))
                .withVariant(new LlamaConfig.Variant(12, 0, 0, 5, List.of(LlamaConfig.Variant.SLIDING,
                        LlamaConfig.Variant.SLIDING, LlamaConfig.Variant.FULL), 100.0));
    }

    /**
     * Random tensors: linear weights N(0, 0.15²), norms the family's identity + N(0, 0.1²), biases
     * N(0, 0.1²).
     */
    public static List<TensorData> tensors(LlamaConfig c, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<TensorData> out = new ArrayList<>();
        float identity = c.family().identityNormWeight();
        for (Map.Entry<String, long[]> e : LlamaModel.expectedShapes(c).entrySet()) {
            float[] v = new float[Math.toIntExact(TensorData.elementCount(e.getValue()))];
            boolean norm = e.getKey().endsWith("norm.weight");
            double std = norm || e.getKey().endsWith(".bias") ? 0.1 : 0.15;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((norm ? identity : 0) + std * gaussian(rnd));
            }
            out.add(new TensorData(e.getKey(), e.getValue(), v));
        }
        return out;
    }

    /** Writes config.json and model.safetensors into dir; returns dir. */
    public static Path write(Path dir, LlamaConfig c, long seed) throws IOException {
        Files.createDirectories(dir);
        c.write(dir.resolve("config.json"));
        SafetensorsWriter.write(dir.resolve(LlamaModel.WEIGHTS_FILE), tensors(c, seed), Map.of("format", "pt"));
        return dir;
    }

    /** Writes config.json, {@code shards} shard files and model.safetensors.index.json into dir. */
    public static Path writeSharded(Path dir, LlamaConfig c, long seed, int shards) throws IOException {
        Files.createDirectories(dir);
        c.write(dir.resolve("config.json"));
        List<TensorData> all = tensors(c, seed);
        ObjectMapper json = new ObjectMapper();
        ObjectNode index = json.createObjectNode();
        index.putObject("metadata");
        ObjectNode map = index.putObject("weight_map");
        for (int s = 0; s < shards; s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            List<TensorData> part = new ArrayList<>();
            for (int i = s; i < all.size(); i += shards) {
                part.add(all.get(i));
                map.put(all.get(i).name(), name);
            }
            SafetensorsWriter.write(dir.resolve(name), part, Map.of("format", "pt"));
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), json.writeValueAsString(index));
        return dir;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}
