package io.fedlora.client.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.LoraLayouts;
import io.fedlora.client.data.Batch;
import io.fedlora.client.data.PromptTokenizer;
import io.fedlora.client.data.TokenizedDataset;
import io.fedlora.client.demo.DemoDefaults;
import io.fedlora.client.demo.DemoTask;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.train.AdamW;
import io.fedlora.client.train.StepOptions;
import io.fedlora.client.train.TrainingStep;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Training throughput on the demo task's records (short instructions, the demo's batch and
 * max_seq_len) with one example per row against packed rows ({@link Batch#packed}), on the same model,
 * examples and steps. Tokens are the examples' own positions, padding not counted, so the two rates
 * compare the same work.
 */
final class DemoPackingBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoPackingBenchmark() {}

    static ObjectNode run(LlamaModel model, Path tokenizerDir, StepOptions step, int warmup, int steps, int rank,
            Consumer<String> progress) throws IOException {
        int batch = DemoDefaults.BATCH_SIZE;
        int maxSeqLen = DemoDefaults.MAX_SEQ_LEN;
        TokenizedDataset data;
        try (PromptTokenizer tok = PromptTokenizer.load(tokenizerDir, model.config())) {
            data = tok.tokenizeAll(DemoTask.clientSlice(0, 1, batch * (warmup + steps), DemoDefaults.TASK_SEED),
                    maxSeqLen);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("batch", batch);
        out.put("max_seq_len", maxSeqLen);
        double unpacked = 0;
        for (boolean pack : new boolean[] {false, true}) {
            ObjectNode n = out.putObject(pack ? "packed" : "unpacked");
            double rate = measure(model, data, pack, step, warmup, steps, rank, n);
            progress.accept(String.format(Locale.ROOT, "demo data, %s: %.0f tokens/s", pack ? "packed" : "unpacked",
                    rate));
            if (pack) {
                out.put("packed_speedup", Math.round(rate / unpacked * 1000) / 1000.0);
            } else {
                unpacked = rate;
            }
        }
        return out;
    }

    /** Tokens/s over the timed steps (the same examples in both modes); rows and positions per step into n. */
    private static double measure(LlamaModel model, TokenizedDataset data, boolean pack, StepOptions step, int warmup,
            int steps, int rank, ObjectNode n) {
        int batch = DemoDefaults.BATCH_SIZE;
        var layout = LoraLayouts.of(model.config().loraSites(), rank, DemoDefaults.TARGETS);
        long tokens = 0;
        long positions = 0;
        long rows = 0;
        long nanos = 0;
        try (NDManager root = NDManager.newBaseManager();
                LoraAdapters adapters = LoraAdapters.create(model, FlatAdapter.initial(layout, 1), 2.0 * rank, 0, root)) {
            var trainable = adapters.factors(false);
            trainable.forEach(p -> p.setRequiresGradient(true));
            try (AdamW opt = AdamW.standard(trainable, root, 0, 1.0)) {
                for (int s = 0; s < warmup + steps; s++) {
                    int[] idx = new int[batch];
                    for (int i = 0; i < batch; i++) {
                        idx[i] = s * batch + i;
                    }
                    Batch b = pack ? data.packedBatch(idx, Math.min(model.config().maxPositionEmbeddings(),
                            8 * DemoDefaults.MAX_SEQ_LEN)) : data.batch(idx);
                    long start = System.nanoTime();
                    TrainingStep.run(model, adapters, b, opt, 1e-4, root, step);
                    if (s >= warmup) {
                        nanos += System.nanoTime() - start;
                        rows += b.size();
                        positions += (long) b.size() * b.length();
                        for (int i : idx) {
                            tokens += data.examples().get(i).length() - 1;
                        }
                    }
                }
            }
        }
        double rate = tokens / (nanos / 1e9);
        n.put("tokens_per_s", Math.round(rate * 10) / 10.0);
        n.put("rows_per_step", (double) rows / steps);
        n.put("positions_per_step", (double) positions / steps);
        n.put("example_tokens_per_step", (double) tokens / steps);
        return rate;
    }
}
