package io.fedlora.client.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.AtomicFiles;
import io.fedlora.adapter.CheckpointFiles;
import io.fedlora.adapter.LoraTarget;
import io.fedlora.adapter.PeftAdapterDir;
import io.fedlora.adapter.SafetensorsFile;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.adapter.TensorData;
import io.fedlora.client.model.Directories;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Folds a PEFT LoRA adapter into its base model and writes an ordinary Hugging Face checkpoint:
 * every wrapped projection becomes {@code W + (lora_alpha / r)·B·A}; every other tensor is copied.
 *
 * <p>Output: {@code config.json} (the base config with {@code torch_dtype} float32), the tokenizer
 * and generation files copied unchanged, and float32 weights, as one {@code model.safetensors} or,
 * when larger than the shard limit (1 GiB by default), as {@code model-0000i-of-0000n.safetensors}
 * shards with a {@code model.safetensors.index.json}. Everything is written into a temporary
 * sibling directory that is renamed into place at the end, so the output directory either does not
 * exist or is complete. The output directory must not exist or be empty.
 *
 * <p>Plain Java, no engine: the merge runs in double precision per tensor, with one tensor in memory
 * at a time (each is read, merged and streamed into its shard), so memory stays at the largest
 * tensor whatever the model's size. Limit: a single tensor must fit a Java array (under 2^31 values).
 * The adapter is read with {@link PeftAdapters#read} (DoRA, rsLoRA, {@code fan_in_fan_out} and
 * foreign tensors are refused).
 */
public final class AdapterMerge {

    public static final long DEFAULT_MAX_SHARD_BYTES = 1L << 30;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Weight formats that are never copied (the merged safetensors replace them). */
    private static final Set<String> SKIPPED_SUFFIXES = Set.of(".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5",
            ".msgpack", ".onnx", ".ckpt");

    private AdapterMerge() {}

    /** What was written. */
    public record Result(Path outDir, List<String> weightFiles, int mergedProjections, double scale) {}

    /** Merges with the default shard limit. */
    public static Result merge(Path modelDir, Path adapterDir, Path outDir) throws IOException {
        return merge(modelDir, adapterDir, outDir, DEFAULT_MAX_SHARD_BYTES);
    }

    public static Result merge(Path modelDir, Path adapterDir, Path outDir, long maxShardBytes) throws IOException {
        Path out = outDir.toAbsolutePath().normalize();
        if (out.equals(modelDir.toAbsolutePath().normalize()) || out.equals(adapterDir.toAbsolutePath().normalize())) {
            throw new IOException(out + ": the output directory must differ from the model and adapter directories");
        }
        if (Files.exists(out) && (!Files.isDirectory(out) || !Directories.isEmpty(out))) {
            throw new IOException(out + ": already exists and is not an empty directory; refusing to overwrite");
        }
        LlamaConfig config = LlamaConfig.readDir(modelDir);
        PeftAdapterDir.Loaded loaded = PeftAdapters.read(adapterDir, config);
        int rank = loaded.lora().getRank();
        double scale = loaded.lora().getAlpha() / rank;

        Map<String, float[]> peft = new HashMap<>();
        for (TensorData t : loaded.adapter().tensors()) {
            peft.put(t.name(), t.values());
        }
        // Base weight name -> {A, B}.
        Map<String, float[][]> deltas = new HashMap<>();
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            for (LoraTarget target : LoraTarget.values()) {
                float[] a = peft.get(target.peftName(layer, 'A'));
                float[] b = peft.get(target.peftName(layer, 'B'));
                if (a != null && b != null) {
                    deltas.put(target.basePath(layer) + ".weight", new float[][] {a, b});
                } else if (a != null || b != null) {
                    throw new IOException(adapterDir + ": " + target.basePath(layer) + " has only one of lora_A, lora_B");
                }
            }
        }

        // Plan: every base tensor in file order, grouped into output shards by float32 size.
        Map<String, SafetensorsFile> source = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Path f : CheckpointFiles.weightFiles(modelDir)) {
            SafetensorsFile st = SafetensorsFile.open(f);
            for (SafetensorsFile.Entry e : st.entries().values()) {
                if (source.put(e.name(), st) != null) {
                    throw new ModelFormatException(f, "tensor " + e.name() + " appears in more than one weight file");
                }
                shapes.put(e.name(), e.shape());
            }
        }
        for (String name : deltas.keySet()) {
            if (!source.containsKey(name)) {
                throw new ModelFormatException(modelDir, "adapter wraps " + name + ", which the base model lacks");
            }
        }
        List<List<String>> shards = new ArrayList<>();
        long shardBytes = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long bytes = 4 * TensorData.elementCount(e.getValue());
            if (shards.isEmpty() || (shardBytes > 0 && shardBytes + bytes > maxShardBytes)) {
                shards.add(new ArrayList<>());
                shardBytes = 0;
            }
            shards.get(shards.size() - 1).add(e.getKey());
            shardBytes += bytes;
        }

        Files.createDirectories(out.getParent());
        Path tmp = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".");
        try {
            List<String> files = new ArrayList<>();
            ObjectNode weightMap = JSON.createObjectNode();
            long total = 0;
            int merged = 0;
            for (int s = 0; s < shards.size(); s++) {
                String file = shards.size() == 1 ? CheckpointFiles.SINGLE
                        : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
                List<SafetensorsWriter.TensorSpec> specs = shards.get(s).stream()
                        .map(n -> new SafetensorsWriter.TensorSpec(n, shapes.get(n))).toList();
                // One tensor in memory at a time: read, merged, streamed out, dropped.
                try (SafetensorsWriter w = SafetensorsWriter.open(tmp.resolve(file), specs, Map.of("format", "pt"),
                        SafetensorsWriter.Dtype.F32)) {
                    for (String name : shards.get(s)) {
                        TensorData t = source.get(name).read(name);
                        float[][] ab = deltas.get(name);
                        if (ab != null) {
                            addDelta(name, t, ab[0], ab[1], rank, scale);
                            merged++;
                        }
                        w.put(t);
                        weightMap.put(name, file);
                        total += 4L * t.values().length;
                    }
                    w.commit();
                }
                files.add(file);
            }
            if (shards.size() > 1) {
                ObjectNode index = JSON.createObjectNode();
                index.putObject("metadata").put("total_size", total);
                index.set("weight_map", weightMap);
                AtomicFiles.writeString(tmp.resolve(CheckpointFiles.INDEX),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
            }
            ObjectNode cfg = (ObjectNode) JSON.readTree(modelDir.resolve("config.json").toFile());
            cfg.put("torch_dtype", "float32");
            AtomicFiles.writeString(tmp.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
            copyOtherFiles(modelDir, tmp);
            if (Files.exists(out)) {
                Files.delete(out); // empty, checked above
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return new Result(out, List.copyOf(files), merged, scale);
        } finally {
            if (Files.exists(tmp)) {
                Directories.deleteTree(tmp);
            }
        }
    }

    /** W [out, in] += scale · B [out, r] · A [r, in], accumulated in double. */
    private static void addDelta(String name, TensorData w, float[] a, float[] b, int r, double scale)
            throws IOException {
        long[] shape = w.shape();
        if (shape.length != 2 || a.length != r * shape[1] || b.length != shape[0] * r) {
            throw new IOException("adapter for " + name + " (r=" + r + ") does not fit base shape " + Arrays.toString(shape));
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] v = w.values();
        double[] row = new double[cols];
        for (int o = 0; o < rows; o++) {
            Arrays.fill(row, 0);
            for (int k = 0; k < r; k++) {
                double bk = b[o * r + k];
                int base = k * cols;
                for (int i = 0; i < cols; i++) {
                    row[i] += bk * a[base + i];
                }
            }
            int base = o * cols;
            for (int i = 0; i < cols; i++) {
                v[base + i] = (float) (v[base + i] + scale * row[i]);
            }
        }
    }

    /** Tokenizer, generation config and other small files: everything but weights and config.json. */
    private static void copyOtherFiles(Path modelDir, Path into) throws IOException {
        try (Stream<Path> s = Files.list(modelDir)) {
            for (Path f : s.sorted().toList()) {
                String n = f.getFileName().toString();
                boolean weights = SKIPPED_SUFFIXES.stream().anyMatch(n::endsWith) || n.endsWith(".index.json");
                if (Files.isRegularFile(f) && !weights && !n.equals("config.json") && !n.startsWith(".")) {
                    Files.copy(f, into.resolve(n));
                }
            }
        }
    }

}
