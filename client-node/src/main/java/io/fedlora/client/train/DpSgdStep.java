package io.fedlora.client.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.fedlora.client.data.Batch;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import io.fedlora.client.model.OwnedArrays;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * One DP-SGD step on LoRA factors: per-example gradients in one batched pass per micro-batch
 * ({@link PerExampleLora}), each example's gradient over all trainable tensors jointly clipped to
 * L2 norm C, summed (over micro-batches too), plus N(0, σ²C²) noise on every coordinate, divided by
 * the expected batch size q·N, then the optimizer update. An empty Poisson sample gives a
 * noise-only update (it must: skipping it would reveal that the sample was empty).
 */
public final class DpSgdStep {

    /** Result of one step: the sample size and the mean (unnoised, so not private) loss of the sample. */
    public record Stats(int sampleSize, double meanLoss, int clippedExamples) {}

    private DpSgdStep() {}

    /** Poisson sampling: each of {@code n} indices independently with probability {@code q}. */
    public static int[] poissonSample(Random rnd, int n, double q) {
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (rnd.nextDouble() < q) {
                out[k++] = i;
            }
        }
        return Arrays.copyOf(out, k);
    }

    /**
     * @param sample the indices in this step's Poisson sample (may be empty)
     * @param batchOf makes a padded batch from indices (e.g. {@code TokenizedDataset::batch})
     * @param expectedBatch q·N, the divisor of the noisy sum (fixed, so it reveals nothing)
     */
    public static Stats run(LlamaModel model, LoraAdapters lora, List<NDArray> trainable, int[] sample,
            Function<int[], Batch> batchOf, double expectedBatch, DpSgdConfig dp, double dropout,
            GaussianNoise noise, AdamW optimizer, double lr, NDManager parent) {
        return run(model, lora, trainable, sample, batchOf, expectedBatch, dp, dropout, noise, optimizer, lr, parent,
                StepOptions.DEFAULT);
    }

    /** As above, each micro-batch's backward as {@code options} say. */
    public static Stats run(LlamaModel model, LoraAdapters lora, List<NDArray> trainable, int[] sample,
            Function<int[], Batch> batchOf, double expectedBatch, DpSgdConfig dp, double dropout,
            GaussianNoise noise, AdamW optimizer, double lr, NDManager parent, StepOptions options) {
        double[] stats = new double[2];
        try (NDManager step = parent.newSubManager()) {
            NDArray[] grad = privateGradient(model, lora, trainable, sample, batchOf, expectedBatch, dp, dropout, noise,
                    step, stats, options);
            optimizer.step(lr, grad);
        }
        double mean = sample.length == 0 ? Double.NaN : stats[0] / sample.length;
        if (sample.length > 0 && !Double.isFinite(mean)) {
            throw new ArithmeticException("training loss is not finite (" + mean + "); lower the learning rate");
        }
        return new Stats(sample.length, mean, (int) stats[1]);
    }

    /**
     * The privatised gradient (arrays in {@code step}, one per trainable tensor): the sum over the
     * sample of clipped per-example gradients, plus N(0, σ²C²) noise, divided by {@code expectedBatch}.
     *
     * @param statsOut receives the sum of the sample's losses [0] and the number of clipped examples [1]
     */
    static NDArray[] privateGradient(LlamaModel model, LoraAdapters lora, List<NDArray> trainable, int[] sample,
            Function<int[], Batch> batchOf, double expectedBatch, DpSgdConfig dp, double dropout, GaussianNoise noise,
            NDManager step, double[] statsOut, StepOptions options) {
        double lossSum = 0;
        int clipped = 0;
        NDArray[] sum = new NDArray[trainable.size()];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = step.zeros(trainable.get(i).getShape());
        }
        for (int from = 0; from < sample.length; from += dp.maxPhysicalBatch()) {
            int[] micro = Arrays.copyOfRange(sample, from, Math.min(sample.length, from + dp.maxPhysicalBatch()));
            Batch batch = batchOf.apply(micro);
            float[] losses = new float[micro.length];
            try (NDManager mb = step.newSubManager()) {
                NDArray[] g = PerExampleLora.gradients(model, lora, trainable, batch, dropout, true, mb, losses, options);
                clipped += clipAndAccumulate(g, dp.clipNorm(), sum, mb);
            }
            for (float l : losses) {
                lossSum += l;
            }
        }
        JniUtils.setGradMode(false);
        NDArray scale = step.create((float) (1.0 / expectedBatch));
        for (int i = 0; i < sum.length; i++) {
            Shape shape = sum[i].getShape();
            float[] z = noise.sample(Math.toIntExact(shape.size()), dp.noiseStd());
            sum[i].addi(OwnedArrays.of(step, z, shape)).muli(scale);
        }
        statsOut[0] = lossSum;
        statsOut[1] = clipped;
        return sum;
    }

    /**
     * Clips each example's joint gradient (row i of every g) to L2 norm {@code c} and adds the sum over
     * examples into {@code sum}; returns how many examples were scaled down.
     */
    static int clipAndAccumulate(NDArray[] g, double c, NDArray[] sum, NDManager m) {
        long n = g[0].getShape().get(0);
        NDArray sq = m.zeros(new Shape(n));
        for (NDArray gi : g) {
            sq.addi(gi.reshape(n, -1).square().sum(new int[] {1}));
        }
        NDArray norms = sq.sqrt();
        // factor_i = C / max(‖g_i‖, C) = min(1, C/‖g_i‖)
        NDArray factor = m.full(new Shape(n), (float) c).div(norms.maximum((float) c));
        int clipped = (int) norms.gt((float) c).sum().getLong();
        for (int i = 0; i < g.length; i++) {
            long[] bshape = new long[g[i].getShape().dimension()];
            Arrays.fill(bshape, 1);
            bshape[0] = n;
            NDArray scaled = g[i].mul(factor.reshape(new Shape(bshape))).sum(new int[] {0});
            sum[i].addi(scaled);
        }
        return clipped;
    }
}
