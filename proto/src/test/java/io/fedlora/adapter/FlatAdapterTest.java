package io.fedlora.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.proto.v1.AdapterLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlatAdapterTest {

    private static final LoraLayouts.LlamaDims DIMS = new LoraLayouts.LlamaDims(2, 16, 40, 4, 2, 4);

    @Test
    void layoutUsesPeftNamesAndShapes() {
        AdapterLayout layout = LoraLayouts.llama(DIMS, 8, List.of("q_proj", "v_proj"));
        assertEquals(8, layout.getTensorsCount());
        assertEquals("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", layout.getTensors(0).getName());
        assertEquals(List.of(8L, 16L), layout.getTensors(0).getShapeList());
        // v_proj out = kv_heads * head_dim = 8
        assertEquals("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", layout.getTensors(3).getName());
        assertEquals(List.of(8L, 8L), layout.getTensors(3).getShapeList());
        assertEquals(2 * (8 * 16 + 16 * 8 + 8 * 16 + 8 * 8), LoraLayouts.totalElements(layout));
    }

    @Test
    void unknownTargetModuleIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoraLayouts.llama(DIMS, 8, List.of("qkv")));
        assertTrue(e.getMessage().contains("'qkv'"));
    }

    @Test
    void initialAdapterIsDeterministicWithZeroB() {
        AdapterLayout layout = LoraLayouts.llama(DIMS, 4, List.of("q_proj"));
        FlatAdapter a = FlatAdapter.initial(layout, 42);
        FlatAdapter b = FlatAdapter.initial(layout, 42);
        assertArrayEquals(a.values(), b.values());
        List<TensorData> t = a.tensors();
        double bound = 1 / Math.sqrt(16);
        for (float v : t.get(0).values()) {
            assertTrue(Math.abs(v) <= bound && v != 0);
        }
        for (float v : t.get(1).values()) {
            assertEquals(0f, v);
        }
        assertTrue(!java.util.Arrays.equals(a.values(), FlatAdapter.initial(layout, 43).values()));
    }

    @Test
    void safetensorsRoundTrip() throws Exception {
        AdapterLayout layout = LoraLayouts.llama(DIMS, 4, List.of("q_proj", "v_proj"));
        FlatAdapter a = FlatAdapter.initial(layout, 1);
        FlatAdapter back = FlatAdapter.fromSafetensors(layout, a.toSafetensors());
        assertArrayEquals(a.values(), back.values());
        assertEquals(Sha256.hex(a.toSafetensors()), Sha256.hex(back.toSafetensors()));
    }

    @Test
    void shapeMismatchAgainstLayoutIsRefused() throws Exception {
        AdapterLayout small = LoraLayouts.llama(DIMS, 4, List.of("q_proj"));
        AdapterLayout big = LoraLayouts.llama(DIMS, 8, List.of("q_proj"));
        byte[] bytes = FlatAdapter.initial(small, 1).toSafetensors();
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> FlatAdapter.fromSafetensors(big, bytes));
        assertTrue(e.getMessage().contains("lora_A.weight has shape"), e.getMessage());
    }

    @Test
    void extraTensorsAreRefusedNotIgnored() throws Exception {
        AdapterLayout deeper = LoraLayouts.llama(new LoraLayouts.LlamaDims(3, 16, 40, 4, 2, 4), 4, List.of("q_proj"));
        AdapterLayout shallow = LoraLayouts.llama(DIMS, 4, List.of("q_proj"));
        byte[] bytes = FlatAdapter.initial(deeper, 1).toSafetensors();
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> FlatAdapter.fromSafetensors(shallow, bytes));
        assertTrue(e.getMessage().contains("layers.2"), e.getMessage());
    }

    @Test
    void littleEndianWireEncodingRoundTrips() {
        float[] v = {1.5f, -0f, Float.MAX_VALUE, 3e-9f};
        assertArrayEquals(v, FlatAdapter.fromLittleEndian(FlatAdapter.toLittleEndian(v)));
        assertThrows(IllegalArgumentException.class, () -> FlatAdapter.fromLittleEndian(new byte[3]));
    }
}
