package io.fedlora.client.demo;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.adapter.TensorData;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/** Untrained model directories (config, weights, the demo's character tokenizer) for tests and benchmarks. */
public final class RandomModels {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int CHUNK = 1 << 20;

    private RandomModels() {}

    /** Writes a randomly initialised model with {@code config} to {@code dir}; its vocabulary must fit the demo alphabet. */
    public static Path write(Path dir, LlamaConfig config, long seed) throws IOException {
        checkVocabulary(config);
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(config, seed, m)) {
            model.save(dir);
        }
        CharTokenizerJson.write(dir.resolve("tokenizer.json"), DemoTask.ALPHABET);
        return dir;
    }

    /**
     * Writes a random checkpoint of any size the way Hugging Face publishes large ones: weights in
     * {@code model-0000i-of-0000n.safetensors} shards of at most {@code maxShardBytes} (a tensor larger
     * than that gets a shard of its own) with a {@code model.safetensors.index.json}, stored as
     * {@code dtype}; {@code config.json} with the matching {@code torch_dtype}; the demo's character
     * tokenizer ({@code vocab_size} may exceed it: the extra ids are never produced, as in checkpoints
     * whose embedding is padded).
     *
     * <p>Streams: values are drawn and written in chunks of 2^20, so neither a tensor nor the model is
     * ever whole in memory, and no engine is needed. Initialisation as {@link LlamaModel#random}
     * (N(0, 0.02²), residual output projections scaled by 1/sqrt(2·layers), norms the identity, biases zero),
     * from a different stream. Deterministic for a seed.
     */
    public static Path writeSharded(Path dir, LlamaConfig config, long seed, SafetensorsWriter.Dtype dtype,
            long maxShardBytes) throws IOException {
        checkVocabulary(config);
        Files.createDirectories(dir);
        List<List<SafetensorsWriter.TensorSpec>> shards = new ArrayList<>();
        long shardBytes = 0;
        for (Map.Entry<String, long[]> e : LlamaModel.expectedShapes(config).entrySet()) {
            long bytes = dtype.width() * TensorData.elementCount(e.getValue());
            if (shards.isEmpty() || (shardBytes > 0 && shardBytes + bytes > maxShardBytes)) {
                shards.add(new ArrayList<>());
                shardBytes = 0;
            }
            shards.get(shards.size() - 1).add(new SafetensorsWriter.TensorSpec(e.getKey(), e.getValue()));
            shardBytes += bytes;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        double residualScale = 1.0 / Math.sqrt(2.0 * config.numHiddenLayers());
        float[] chunk = new float[CHUNK];
        float identityNorm = config.family().identityNormWeight();
        ObjectNode index = JSON.createObjectNode();
        ObjectNode weightMap = JSON.createObjectNode();
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
            try (SafetensorsWriter w = SafetensorsWriter.open(dir.resolve(file), shards.get(s), Map.of("format", "pt"),
                    dtype)) {
                for (SafetensorsWriter.TensorSpec t : shards.get(s)) {
                    String name = t.name();
                    double std = name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")
                            ? 0.02 * residualScale : 0.02;
                    boolean norm = name.endsWith("norm.weight");
                    boolean bias = name.endsWith(".bias");
                    for (long left = t.elementCount(); left > 0; ) {
                        int n = (int) Math.min(left, CHUNK);
                        for (int i = 0; i < n; i++) {
                            chunk[i] = norm ? identityNorm : bias ? 0f : (float) (gaussian(rnd) * std);
                        }
                        w.append(chunk, 0, n);
                        left -= n;
                    }
                    weightMap.put(name, file);
                    total += dtype.width() * t.elementCount();
                }
                w.commit();
            }
        }
        index.putObject("metadata").put("total_size", total);
        index.set("weight_map", weightMap);
        AtomicFiles.writeString(dir.resolve(CheckpointFiles.INDEX), JSON.writeValueAsString(index) + "\n");
        config.write(dir.resolve("config.json"));
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        cfg.put("torch_dtype", dtype == SafetensorsWriter.Dtype.BF16 ? "bfloat16" : "float32");
        AtomicFiles.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfg) + "\n");
        CharTokenizerJson.write(dir.resolve("tokenizer.json"), DemoTask.ALPHABET);
        return dir;
    }

    private static void checkVocabulary(LlamaConfig config) {
        if (config.vocabSize() < CharTokenizerJson.vocabSize(DemoTask.ALPHABET)) {
            throw new IllegalArgumentException("vocab_size " + config.vocabSize() + " is smaller than the demo tokenizer's "
                    + CharTokenizerJson.vocabSize(DemoTask.ALPHABET));
        }
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}
