package io.fedlora.client.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedlora.client.model.BaseQuantization;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.train.TrainingBenchmark;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Loads one model in a fresh JVM and prints one JSON line: load time and resident memory.
 * {@link ModelBenchmark} runs it as a child process so that nothing but the JVM, the engine and the
 * load itself is in the process.
 *
 * <p>The baseline is the resident set after the JVM and engine have started (an op has run, the
 * config has been parsed, a GC has run); the kernel's peak counter (VmHWM) is then reset by writing
 * 5 to {@code /proc/self/clear_refs} (Linux 4.0+), so the peak is the load's own; where the reset is
 * refused, the peak since start is reported and {@code hwm_reset} is false.
 */
public final class LoadProbe {

    private LoadProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: LoadProbe MODEL_DIR [none|nf4]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        BaseQuantization quantization = args.length == 2 ? BaseQuantization.parse(args[1]) : BaseQuantization.NONE;
        LlamaConfig.readDir(dir);
        try (NDManager m = NDManager.newBaseManager()) {
            try (NDManager warm = m.newSubManager()) {
                NDArray a = warm.ones(new Shape(64, 64));
                a.matMul(a).sum().getFloat();
            }
            System.gc();
            Thread.sleep(200);
            double baseline = TrainingBenchmark.procStatusMb("VmRSS:");
            boolean reset = TrainingBenchmark.resetPeakRss();
            long start = System.nanoTime();
            try (LlamaModel model = LlamaModel.load(dir, m, quantization)) {
                double seconds = (System.nanoTime() - start) / 1e9;
                double peak = TrainingBenchmark.procStatusMb("VmHWM:");
                double after = TrainingBenchmark.procStatusMb("VmRSS:");
                System.out.printf(Locale.ROOT, "{\"load_s\":%.3f,\"parameters\":%d,\"rss_baseline_mb\":%.1f,"
                        + "\"rss_peak_mb\":%.1f,\"rss_after_mb\":%.1f,\"hwm_reset\":%b,\"weight_bytes\":%d}%n", seconds,
                        model.parameterCount(), baseline, peak, after, reset, model.weightBytes());
            }
        }
    }
}
