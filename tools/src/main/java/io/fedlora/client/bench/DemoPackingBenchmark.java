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
 * max_seq_len) with one example per row against packed rows ({@link Batch#packed}), on the same model
 * and examples, the two modes alternating step by step. Tokens are the examples' own positions, padding
 * not counted, so the two rates compare the same work.
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
        Mode[] modes = {new Mode(false), new Mode(true)};
        int maxRow = Math.min(model.config().maxPositionEmbeddings(), 8 * maxSeqLen);
        var layout = LoraLayouts.of(model.config().loraSites(), rank, DemoDefaults.TARGETS);
        try (NDManager root = NDManager.newBaseManager();
                LoraAdapters plain = LoraAdapters.create(model, FlatAdapter.initial(layout, 1), 2.0 * rank, 0, root);
                LoraAdapters packed = LoraAdapters.create(model, FlatAdapter.initial(layout, 1), 2.0 * rank, 0, root)) {
            plain.factors(false).forEach(p -> p.setRequiresGradient(true));
            packed.factors(false).forEach(p -> p.setRequiresGradient(true));
            try (AdamW plainOpt = AdamW.standard(plain.factors(false), root, 0, 1.0);
                    AdamW packedOpt = AdamW.standard(packed.factors(false), root, 0, 1.0)) {
                LoraAdapters[] adapters = {plain, packed};
                AdamW[] optimizers = {plainOpt, packedOpt};
                // The two modes alternate step by step on the same examples, so a change in the machine's
                // load hits both alike.
                for (int s = 0; s < warmup + steps; s++) {
                    int[] idx = new int[batch];
                    for (int i = 0; i < batch; i++) {
                        idx[i] = s * batch + i;
                    }
                    for (int m = 0; m < 2; m++) {
                        Batch b = modes[m].pack ? data.packedBatch(idx, maxRow) : data.batch(idx);
                        long start = System.nanoTime();
                        TrainingStep.run(model, adapters[m], b, optimizers[m], 1e-4, root, step);
                        if (s >= warmup) {
                            modes[m].add(b, System.nanoTime() - start, data, idx);
                        }
                    }
                }
            }
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("batch", batch);
        out.put("max_seq_len", maxSeqLen);
        for (Mode m : modes) {
            ObjectNode n = out.putObject(m.pack ? "packed" : "unpacked");
            n.put("tokens_per_s", Math.round(m.rate() * 10) / 10.0);
            n.put("rows_per_step", (double) m.rows / steps);
            n.put("positions_per_step", (double) m.positions / steps);
            n.put("example_tokens_per_step", (double) m.tokens / steps);
            progress.accept(String.format(Locale.ROOT, "demo data, %s: %.0f tokens/s", m.pack ? "packed" : "unpacked",
                    m.rate()));
        }
        out.put("packed_speedup", Math.round(modes[1].rate() / modes[0].rate() * 1000) / 1000.0);
        return out;
    }

    /** One mode's totals over the timed steps; tokens are the examples' own positions, padding not counted. */
    private static final class Mode {
        final boolean pack;
        long tokens;
        long positions;
        long rows;
        long nanos;

        Mode(boolean pack) {
            this.pack = pack;
        }

        void add(Batch b, long stepNanos, TokenizedDataset data, int[] idx) {
            nanos += stepNanos;
            rows += b.size();
            positions += (long) b.size() * b.length();
            for (int i : idx) {
                tokens += data.examples().get(i).length() - 1;
            }
        }

        double rate() {
            return tokens / (nanos / 1e9);
        }
    }
}
