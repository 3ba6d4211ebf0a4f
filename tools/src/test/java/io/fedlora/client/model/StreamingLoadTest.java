package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.SafetensorsFile;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.client.demo.RandomModels;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader streams each tensor into the engine through a small staging buffer; whatever the
 * buffer's size (one block per tensor, many blocks, rows larger than the buffer), the engine holds
 * exactly the values the file reader returns, for F32 and BF16 shards alike.
 */
class StreamingLoadTest {

    @TempDir
    Path dir;

    @Test
    void engineArraysHoldTheFileValuesForEveryStagingSize() throws Exception {
        LlamaConfig c = RandomCheckpoints.qwen2(); // biases too; vocab 50 x hidden 32
        for (SafetensorsWriter.Dtype dtype : SafetensorsWriter.Dtype.values()) {
            Path ckpt = RandomModels.writeSharded(dir.resolve(dtype.name()), c, 5, dtype, 6_000);
            Map<String, float[]> expected = new HashMap<>();
            for (Path f : CheckpointFiles.weightFiles(ckpt)) {
                SafetensorsFile st = SafetensorsFile.open(f);
                for (String name : st.entries().keySet()) {
                    expected.put(name, st.read(name).values());
                }
            }
            assertEquals(LlamaModel.expectedShapes(c).keySet(), expected.keySet());
            // 64 bytes: smaller than one row of 32 floats; 256: two rows a block; default: one block a tensor.
            for (int staging : new int[] {64, 256, LlamaModel.STAGING_BYTES}) {
                try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(ckpt, m, staging)) {
                    for (Map.Entry<String, NDArray> w : model.weights().entrySet()) {
                        NDArray a = w.getValue();
                        assertEquals(DataType.FLOAT32, a.getDataType());
                        assertArrayEquals(LlamaModel.expectedShapes(c).get(w.getKey()), a.getShape().getShape());
                        assertArrayEquals(expected.get(w.getKey()), a.toFloatArray(),
                                dtype + ", staging " + staging + ": " + w.getKey());
                    }
                }
            }
            if (dtype == SafetensorsWriter.Dtype.BF16) {
                // BF16 values are exactly representable: the low 16 bits of every float are zero.
                for (float v : expected.get("model.layers.0.self_attn.q_proj.weight")) {
                    assertEquals(0, Float.floatToRawIntBits(v) & 0xffff);
                }
            }
        }
    }
}
