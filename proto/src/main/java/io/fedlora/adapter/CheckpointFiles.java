package io.fedlora.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The weight files of a Hugging Face checkpoint directory (one {@code model.safetensors}, or the
 * shards named by {@code model.safetensors.index.json}) and the model identity derived from them:
 * one sha256 over the files' bytes, in file-name order. Jobs name their base model by this hash.
 */
public final class CheckpointFiles {

    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private CheckpointFiles() {}

    public static List<Path> weightFiles(Path modelDir) throws IOException {
        if (!Files.isDirectory(modelDir)) {
            throw new IOException(modelDir + ": model directory not found");
        }
        Path index = modelDir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            JsonNode map;
            try {
                map = new ObjectMapper().readTree(index.toFile()).get("weight_map");
            } catch (IOException e) {
                throw new IOException(index + ": not valid JSON: " + e.getMessage(), e);
            }
            if (map == null || !map.isObject() || map.isEmpty()) {
                throw new IOException(index + ": field weight_map is missing or empty");
            }
            TreeSet<String> names = new TreeSet<>();
            map.fields().forEachRemaining(f -> names.add(f.getValue().asText()));
            List<Path> shards = new ArrayList<>();
            for (String n : names) {
                Path shard = modelDir.resolve(n).normalize();
                if (!shard.startsWith(modelDir.normalize()) || !Files.isRegularFile(shard)) {
                    throw new IOException(index + ": shard " + n + " is missing");
                }
                shards.add(shard);
            }
            return shards;
        }
        Path single = modelDir.resolve(SINGLE);
        if (!Files.isRegularFile(single)) {
            throw new IOException(modelDir + ": no " + SINGLE + " and no " + INDEX);
        }
        return List.of(single);
    }

    public static String sha256(Path modelDir) throws IOException {
        return Sha256.hexOf(weightFiles(modelDir));
    }
}
