package io.fedlora.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftAdapterDirTest {

    @TempDir
    Path dir;

    @Test
    void writesPeftConfigAndWeightsThatReadBack() throws Exception {
        AdapterLayout layout = LoraLayouts.llama(new LoraLayouts.LlamaDims(1, 8, 16, 2, 1, 4), 2, List.of("q_proj", "v_proj"));
        FlatAdapter adapter = FlatAdapter.initial(layout, 5);
        LoraConfig lora = LoraConfig.newBuilder().setRank(2).setAlpha(4).setDropout(0.05)
                .addAllTargetModules(List.of("q_proj", "v_proj")).build();
        Path out = dir.resolve("adapter");
        PeftAdapterDir.write(out, adapter, lora, "fedlora-tiny");
        PeftAdapterDir.write(out, adapter, lora, "fedlora-tiny"); // replacing an existing one works

        JsonNode cfg = new ObjectMapper().readTree(Files.readString(out.resolve(PeftAdapterDir.CONFIG)));
        assertEquals("LORA", cfg.get("peft_type").asText());
        assertEquals("CAUSAL_LM", cfg.get("task_type").asText());
        assertEquals(2, cfg.get("r").asInt());
        assertEquals(4.0, cfg.get("lora_alpha").asDouble());
        assertEquals("v_proj", cfg.get("target_modules").get(1).asText());
        assertArrayEquals(adapter.values(), FlatAdapter.read(layout, out.resolve(PeftAdapterDir.WEIGHTS)).values());
        PeftAdapterDir.Loaded back = PeftAdapterDir.read(out, new LoraLayouts.LlamaDims(1, 8, 16, 2, 1, 4).sites("llama"));
        assertArrayEquals(adapter.values(), back.adapter().values());
        assertEquals(lora.getTargetModulesList(), back.lora().getTargetModulesList());
        assertEquals(4.0, back.lora().getAlpha());
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary directories left behind");
        }
    }
}
