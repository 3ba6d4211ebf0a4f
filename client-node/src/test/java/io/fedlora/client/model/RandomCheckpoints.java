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

    /** Random tensors: linear weights N(0, 0.15²), norms 1 + N(0, 0.1²), biases N(0, 0.1²). */
    public static List<TensorData> tensors(LlamaConfig c, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<TensorData> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : LlamaModel.expectedShapes(c).entrySet()) {
            float[] v = new float[Math.toIntExact(TensorData.elementCount(e.getValue()))];
            boolean norm = e.getKey().endsWith("norm.weight");
            double std = norm || e.getKey().endsWith(".bias") ? 0.1 : 0.15;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((norm ? 1 : 0) + std * gaussian(rnd));
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
