package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedCheckpointTest {

    @TempDir
    Path dir;

    private static float[] logits(Path ckpt) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(ckpt, m);
                NDManager step = m.newSubManager()) {
            long[] t = ReferenceLlamaTest.TOKENS;
            return model.forward(step.create(t, new Shape(1, t.length)), null, false).toFloatArray();
        }
    }

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile() throws Exception {
        LlamaConfig c = RandomCheckpoints.qwen2();
        Path single = RandomCheckpoints.write(dir.resolve("single"), c, 4);
        Path sharded = RandomCheckpoints.writeSharded(dir.resolve("sharded"), c, 4, 3);
        assertTrue(Files.notExists(sharded.resolve(LlamaModel.WEIGHTS_FILE)));
        assertArrayEquals(logits(single), logits(sharded));
        assertTrue(ReferenceLlamaTest.relativeError(sharded, ReferenceLlamaTest.TOKENS) < 1e-4);
    }

    @Test
    void missingShardIsAnErrorNamingIt() throws Exception {
        Path sharded = RandomCheckpoints.writeSharded(dir.resolve("m"), RandomCheckpoints.llama(), 1, 3);
        String victim = "model-00002-of-00003.safetensors";
        Files.delete(sharded.resolve(victim));
        try (NDManager m = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> LlamaModel.load(sharded, m));
            assertTrue(e.getMessage().contains(victim), e.getMessage());
        }
    }

    @Test
    void tensorMissingFromEveryShardIsNamed() throws Exception {
        Path sharded = RandomCheckpoints.writeSharded(dir.resolve("t"), RandomCheckpoints.llama(), 1, 2);
        // Rewrite shard 1 without one tensor, and drop it from the index.
        Path index = sharded.resolve("model.safetensors.index.json");
        ObjectNode idx = (ObjectNode) new ObjectMapper().readTree(index.toFile());
        String victim = "model.layers.1.mlp.up_proj.weight";
        String shard = idx.get("weight_map").get(victim).asText();
        ((ObjectNode) idx.get("weight_map")).remove(victim);
        Files.writeString(index, idx.toString());
        var kept = new java.util.ArrayList<io.fedlora.adapter.TensorData>();
        for (var t : io.fedlora.adapter.SafetensorsFile.open(sharded.resolve(shard)).readAll()) {
            if (!t.name().equals(victim)) {
                kept.add(t);
            }
        }
        io.fedlora.adapter.SafetensorsWriter.write(sharded.resolve(shard), kept, java.util.Map.of());
        try (NDManager m = NDManager.newBaseManager()) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(sharded, m));
            assertTrue(e.getMessage().contains(victim) && e.getMessage().contains("index"), e.getMessage());
        }
    }
}
