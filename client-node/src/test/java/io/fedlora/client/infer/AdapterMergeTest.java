package io.fedlora.client.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.adapter.PeftAdapterDir;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.RandomCheckpoints;
import io.fedlora.proto.v1.AdapterLayout;
import io.fedlora.proto.v1.LoraConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterMergeTest {

    private static final long[] TOKENS = {1, 7, 33, 12, 49, 0, 5, 21, 21, 40, 3};
    private static final double ALPHA = 16;

    @TempDir
    Path dir;

    /** A PEFT adapter with random A and B (B non-zero, so the merge changes the model). */
    private static FlatAdapter writeAdapter(Path adapterDir, LlamaConfig c, int rank, List<String> targets)
            throws IOException {
        AdapterLayout layout = LoraLayouts.of(c.loraSites(), rank, targets);
        float[] v = new float[Math.toIntExact(LoraLayouts.totalElements(layout))];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.2);
        }
        FlatAdapter adapter = new FlatAdapter(layout, v);
        LoraConfig lora = LoraConfig.newBuilder().setRank(rank).setAlpha(ALPHA).setDropout(0.05)
                .addAllTargetModules(targets).build();
        PeftAdapterDir.write(adapterDir, adapter, lora, "random");
        return adapter;
    }

    private static float[] logits(Path modelDir, FlatAdapter adapter) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(modelDir, m);
                LoraAdapters lora = adapter == null ? null : LoraAdapters.create(model, adapter, ALPHA, 0, m);
                NDManager step = m.newSubManager()) {
            NDArray t = step.create(TOKENS, new Shape(1, TOKENS.length));
            return model.forward(t, lora, false).toFloatArray();
        }
    }

    private static void assertClose(float[] want, float[] got) {
        double max = 0;
        double diff = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
        }
        assertTrue(diff <= 1e-4 * max, "max difference " + diff + " against max logit " + max);
    }

    @Test
    void mergedCheckpointGivesBasePlusAdapterLogits() throws Exception {
        for (LlamaConfig c : new LlamaConfig[] {RandomCheckpoints.llama(), RandomCheckpoints.qwen2(),
                RandomCheckpoints.qwen3(), RandomCheckpoints.phi3(), RandomCheckpoints.gemma2(), RandomCheckpoints.gemma3()}) {
            Path base = RandomCheckpoints.write(dir.resolve(c.modelType()), c, 7);
            Files.writeString(base.resolve("tokenizer.json"), "{\"model\": {}}");
            Files.writeString(base.resolve("tokenizer_config.json"), "{}");
            Path adapterDir = dir.resolve(c.modelType() + "-adapter");
            List<String> modules = modules(c);
            FlatAdapter adapter = writeAdapter(adapterDir, c, 4, modules);
            FlatAdapter back = PeftAdapters.read(adapterDir, c).adapter();
            assertEquals(adapter.layout(), back.layout(), c.modelType() + ": PEFT names round trip");
            assertArrayEquals(adapter.values(), back.values(), c.modelType());
            Path out = dir.resolve(c.modelType() + "-merged");
            AdapterMerge.Result r = AdapterMerge.merge(base, adapterDir, out);
            assertEquals(modules.size() * c.numHiddenLayers(), r.mergedProjections());
            assertEquals(List.of(CheckpointFiles.SINGLE), r.weightFiles());
            assertEquals("{\"model\": {}}", Files.readString(out.resolve("tokenizer.json")));
            assertTrue(Files.exists(out.resolve("tokenizer_config.json")));
            assertEquals(c, LlamaConfig.readDir(out));

            float[] want = logits(base, adapter);
            assertClose(want, logits(out, null));
            float[] plain = logits(base, null);
            assertFalse(Math.abs(plain[0] - want[0]) < 1e-6 && Math.abs(plain[5] - want[5]) < 1e-6,
                    "the adapter should change the logits");
        }
    }

    /** Every module PEFT names for the family: Llama's seven, or Phi-3's four fused ones. */
    private static List<String> modules(LlamaConfig c) {
        return c.loraSites().perLayer().stream().map(s -> s.target().module()).toList();
    }

    /** Phi-3's fused projections: B spans the fused rows, the merge is W + (α/r)·B·A on the fused weight. */
    @Test
    void phi3MergeAddsTheScaledProductToTheFusedWeights() throws Exception {
        LlamaConfig c = RandomCheckpoints.phi3();
        assertEquals(List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj"), modules(c));
        Path base = RandomCheckpoints.write(dir.resolve("phi3"), c, 9);
        Path adapterDir = dir.resolve("phi3-adapter");
        int rank = 2;
        FlatAdapter adapter = writeAdapter(adapterDir, c, rank, List.of("qkv_proj", "gate_up_proj"));
        assertEquals("base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight",
                adapter.layout().getTensors(0).getName());
        assertEquals(List.of((long) (4 + 2 * 2) * 8, (long) rank), adapter.layout().getTensors(1).getShapeList());
        assertEquals(List.of(2L * c.intermediateSize(), (long) rank), adapter.layout().getTensors(3).getShapeList());
        Path out = dir.resolve("phi3-merged");
        AdapterMerge.merge(base, adapterDir, out);
        java.util.Map<String, float[]> peft = new java.util.HashMap<>();
        adapter.tensors().forEach(t -> peft.put(t.name(), t.values()));
        for (String w : List.of("model.layers.1.self_attn.qkv_proj", "model.layers.0.mlp.gate_up_proj")) {
            io.fedlora.adapter.TensorData before = io.fedlora.adapter.SafetensorsFile.open(
                    base.resolve(CheckpointFiles.SINGLE)).read(w + ".weight");
            float[] after = io.fedlora.adapter.SafetensorsFile.open(out.resolve(CheckpointFiles.SINGLE))
                    .read(w + ".weight").values();
            float[] a = peft.get("base_model.model." + w + ".lora_A.weight");
            float[] b = peft.get("base_model.model." + w + ".lora_B.weight");
            int rows = (int) before.shape()[0];
            int cols = (int) before.shape()[1];
            for (int o = 0; o < rows; o++) {
                for (int i = 0; i < cols; i++) {
                    double delta = 0;
                    for (int k = 0; k < rank; k++) {
                        delta += b[o * rank + k] * (double) a[k * cols + i];
                    }
                    double want = before.values()[o * cols + i] + ALPHA / rank * delta;
                    assertEquals(want, after[o * cols + i], 1e-5, w + "[" + o + ", " + i + "]");
                }
            }
        }
        assertClose(logits(base, adapter), logits(out, null));
        // Llama's names are not Phi-3 layers: refused with the modules it has.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoraLayouts.of(c.loraSites(), 2, List.of("q_proj")));
        assertTrue(e.getMessage().contains("phi3") && e.getMessage().contains("qkv_proj"), e.getMessage());
    }

    @Test
    void generationWithTheAdapterEqualsGenerationWithTheMergedModel() throws Exception {
        LlamaConfig c = RandomCheckpoints.llama();
        Path base = RandomCheckpoints.write(dir.resolve("gbase"), c, 21);
        Path adapterDir = dir.resolve("gadapter");
        FlatAdapter adapter = writeAdapter(adapterDir, c, 4, List.of("q_proj", "v_proj", "down_proj"));
        Path out = dir.resolve("gmerged");
        AdapterMerge.merge(base, adapterDir, out);
        long[] prompt = {1, 7, 33, 12};
        Generator.Options o = Generator.Options.greedy(10, -1);
        long[] withAdapter;
        long[] without;
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(base, m);
                LoraAdapters lora = PeftAdapters.load(model, adapterDir, m)) {
            withAdapter = new Generator(model, lora).generate(prompt, o);
            without = new Generator(model, null).generate(prompt, o);
        }
        try (NDManager m = NDManager.newBaseManager(); LlamaModel merged = LlamaModel.load(out, m)) {
            assertArrayEquals(withAdapter, new Generator(merged, null).generate(prompt, o));
        }
        assertFalse(java.util.Arrays.equals(withAdapter, without), "the adapter should change the output");
    }

    @Test
    void largeOutputIsShardedAndLoads() throws Exception {
        LlamaConfig c = RandomCheckpoints.mistral();
        Path base = RandomCheckpoints.writeSharded(dir.resolve("base"), c, 2, 3);
        Path adapterDir = dir.resolve("adapter");
        FlatAdapter adapter = writeAdapter(adapterDir, c, 2, List.of("q_proj", "v_proj"));
        Path out = dir.resolve("merged");
        AdapterMerge.Result r = AdapterMerge.merge(base, adapterDir, out, 8 * 1024);
        assertTrue(r.weightFiles().size() > 1, "shards: " + r.weightFiles());
        assertTrue(Files.exists(out.resolve(CheckpointFiles.INDEX)));
        assertEquals(r.weightFiles().size(), CheckpointFiles.weightFiles(out).size());
        assertClose(logits(base, adapter), logits(out, null));
    }

    @Test
    void refusesToOverwriteAndLeavesNothingHalfWritten() throws Exception {
        LlamaConfig c = RandomCheckpoints.llama();
        Path base = RandomCheckpoints.write(dir.resolve("base"), c, 1);
        Path adapterDir = dir.resolve("adapter");
        writeAdapter(adapterDir, c, 2, List.of("q_proj"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("keep.txt"), "x");
        IOException e = assertThrows(IOException.class, () -> AdapterMerge.merge(base, adapterDir, out));
        assertTrue(e.getMessage().contains("refusing"), e.getMessage());
        assertThrows(IOException.class, () -> AdapterMerge.merge(base, adapterDir, base));

        // An adapter for another model (more layers) fails before anything appears.
        LlamaConfig deeper = new LlamaConfig("llama", 32, 40, 3, 4, 2, 8, 1e-5, 10000.0, 50, false, 64, false, 1, 2, -1);
        Path wrong = dir.resolve("wrong-adapter");
        writeAdapter(wrong, deeper, 2, List.of("q_proj"));
        Path out2 = dir.resolve("out2");
        assertThrows(Exception.class, () -> AdapterMerge.merge(base, wrong, out2));
        assertFalse(Files.exists(out2));
        Exception foreign = assertThrows(Exception.class, () -> PeftAdapters.read(wrong, c));
        assertTrue(foreign.getMessage().contains("layers.2."), foreign.getMessage());

        // DoRA (or rsLoRA) adapters have another update rule: refused.
        Path cfg = adapterDir.resolve(PeftAdapterDir.CONFIG);
        Files.writeString(cfg, Files.readString(cfg).replaceFirst("\\{", "{\"use_dora\": true, "));
        IOException dora = assertThrows(IOException.class, () -> AdapterMerge.merge(base, adapterDir, out2));
        assertTrue(dora.getMessage().contains("use_dora"), dora.getMessage());
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "temporary directory left behind");
        }
    }
}
