package io.fedlora.client.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedlora.adapter.SafetensorsWriter;
import io.fedlora.client.model.BaseQuantization;
import io.fedlora.client.train.StepOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Training and scoring with one base precision in a fresh JVM, for {@link ModelBenchmark}: each precision
 * of a run gets a process of its own, so that one's peak resident set (a process-wide high-water mark)
 * and the memory the allocator keeps after it are never counted against the other. Prints progress lines
 * prefixed {@value #PROGRESS}, then one JSON line.
 */
public final class MeasureProbe {

    static final String PROGRESS = "progress: ";

    private MeasureProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 18) {
            System.err.println("usage: MeasureProbe (the arguments ModelBenchmark passes)");
            System.exit(2);
        }
        ModelBenchmark.Options o = decode(args);
        ObjectNode out = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        out.put("measure_pid", ProcessHandle.current().pid());
        ModelBenchmark.measure(o, o.quantization(), out, line -> {
            System.out.println(PROGRESS + line);
            System.out.flush();
        });
        System.out.println(out);
    }

    /** The command-line arguments that {@link #decode} turns back into {@code o}. */
    static List<String> encode(ModelBenchmark.Options o) {
        return new ArrayList<>(List.of(o.dir().toAbsolutePath().toString(), o.size().name(), o.dtype().name(),
                Long.toString(o.seed()), Long.toString(o.maxShardBytes()), Integer.toString(o.batchSize()),
                Integer.toString(o.seqLen()), Integer.toString(o.rank()), String.join(",", o.targets()),
                Integer.toString(o.warmupSteps()), Integer.toString(o.measuredSteps()),
                Integer.toString(o.scoreExamples()), Boolean.toString(o.train()), Boolean.toString(o.score()),
                o.quantization().label(), Integer.toString(o.step().lossChunk()),
                Boolean.toString(o.step().checkpointLayers()), Boolean.toString(o.demoPacking())));
    }

    static ModelBenchmark.Options decode(String[] a) {
        return new ModelBenchmark.Options(Path.of(a[0]), ModelBenchmark.Size.valueOf(a[1]),
                SafetensorsWriter.Dtype.valueOf(a[2]), Long.parseLong(a[3]), Long.parseLong(a[4]),
                Integer.parseInt(a[5]), Integer.parseInt(a[6]), Integer.parseInt(a[7]), Arrays.asList(a[8].split(",")),
                Integer.parseInt(a[9]), Integer.parseInt(a[10]), Integer.parseInt(a[11]), Boolean.parseBoolean(a[12]),
                Boolean.parseBoolean(a[13]), BaseQuantization.parse(a[14]),
                new StepOptions(Integer.parseInt(a[15]), Boolean.parseBoolean(a[16])), Boolean.parseBoolean(a[17]));
    }
}
