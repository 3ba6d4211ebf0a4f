package io.fedlora.client.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.fedlora.client.model.KvCache;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.RandomCheckpoints;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {

    @TempDir
    Path dir;

    private static final long[][] PROMPTS = {{1}, {1, 7, 33, 12}, {1, 40, 3, 3, 17, 9, 21}};

    @Test
    void cachedGreedyEqualsFullRecomputation() throws Exception {
        for (LlamaConfig c : new LlamaConfig[] {RandomCheckpoints.llama(), RandomCheckpoints.qwen2(),
                RandomCheckpoints.mistral().withRopeScaling(LlamaConfig.RopeScaling.llama3(8.0, 1.0, 8.0, 64))}) {
            Path ckpt = RandomCheckpoints.write(dir.resolve(c.modelType() + c.ropeScaling()), c, 11);
            try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(ckpt, m)) {
                Generator g = new Generator(model, null);
                for (long[] prompt : PROMPTS) {
                    Generator.Options o = Generator.Options.greedy(12, -1);
                    long[] cached = g.generate(prompt, o);
                    assertEquals(12, cached.length);
                    assertArrayEquals(g.generateWithoutCache(prompt, o), cached,
                            c.modelType() + " prompt " + Arrays.toString(prompt));
                }
            }
        }
    }

    /** Also with sliding windows (Phi-3, Gemma), which cached positions must leave exactly as a full pass does. */
    @Test
    void cachedLogitsEqualFullForwardLogits() throws Exception {
        for (LlamaConfig c : new LlamaConfig[] {RandomCheckpoints.llama(), RandomCheckpoints.phi3(),
                RandomCheckpoints.gemma2(), RandomCheckpoints.gemma3()}) {
            cachedLogitsEqualFullForwardLogits(RandomCheckpoints.write(dir.resolve("cached-" + c.modelType()), c, 5));
        }
    }

    private static void cachedLogitsEqualFullForwardLogits(Path ckpt) throws Exception {
        long[] tokens = {1, 7, 33, 12, 49, 0, 5, 21, 9, 30};
        JniUtils.setGradMode(false);
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(ckpt, m);
                NDManager step = m.newSubManager(); KvCache cache = new KvCache(model.config(), m)) {
            float[] full = model.forward(step.create(tokens, new Shape(1, tokens.length)), null, false).toFloatArray();
            int v = model.config().vocabSize();
            // A prefill of 3 positions, then one position at a time.
            NDArray first = model.forward(step.create(Arrays.copyOf(tokens, 3), new Shape(1, 3)), null, cache);
            float[] got = Arrays.copyOf(first.toFloatArray(), tokens.length * v);
            for (int t = 3; t < tokens.length; t++) {
                float[] one = model.forward(step.create(new long[] {tokens[t]}, new Shape(1, 1)), null, cache).toFloatArray();
                System.arraycopy(one, 0, got, t * v, v);
            }
            assertEquals(tokens.length, cache.length());
            // Last-position logits alone, without a cache, are the last row of the full forward.
            float[] last = model.forwardLast(step.create(tokens, new Shape(1, tokens.length)), null, null).toFloatArray();
            assertEquals(v, last.length);
            for (int i = 0; i < v; i++) {
                assertEquals(full[(tokens.length - 1) * v + i], last[i], 1e-5 * (1 + Math.abs(last[i])));
            }
            for (int i = 0; i < full.length; i++) {
                assertEquals(full[i], got[i], 1e-4 * (1 + Math.abs(full[i])), "logit " + i);
            }
        } finally {
            JniUtils.setGradMode(true);
        }
    }

    @Test
    void samplingIsReproducibleForASeedAndStopsAtEos() throws Exception {
        Path ckpt = RandomCheckpoints.write(dir.resolve("llama"), RandomCheckpoints.llama(), 9);
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(ckpt, m)) {
            Generator g = new Generator(model, null);
            boolean gradBefore = JniUtils.isGradMode();
            long[] prompt = {1, 7, 33};
            Generator.Options a = Generator.Options.sampling(20, 1.5, 10, 42, -1);
            long[] x = g.generate(prompt, a);
            assertArrayEquals(x, g.generate(prompt, a));
            assertArrayEquals(x, g.generateWithoutCache(prompt, a));
            assertFalse(Arrays.equals(x, g.generate(prompt, Generator.Options.sampling(20, 1.5, 10, 43, -1))),
                    "another seed should give another sample");
            // top-k 1 is greedy whatever the temperature.
            assertArrayEquals(g.generate(prompt, Generator.Options.greedy(8, -1)),
                    g.generate(prompt, Generator.Options.sampling(8, 3.0, 1, 7, -1)));
            // Stop at EOS: declare the third generated token the end of sequence.
            long[] greedy = g.generate(prompt, Generator.Options.greedy(8, -1));
            long eos = greedy[2];
            int firstEos = 0;
            while (greedy[firstEos] != eos) {
                firstEos++;
            }
            long[] stopped = g.generate(prompt, Generator.Options.greedy(8, (int) eos));
            assertArrayEquals(Arrays.copyOf(greedy, firstEos + 1), stopped);
            assertEquals(gradBefore, JniUtils.isGradMode(), "grad mode restored");
        }
    }

    @Test
    void neverRunsPastMaxPositions() throws Exception {
        LlamaConfig c = RandomCheckpoints.llama();
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 1, m)) {
            long[] prompt = new long[c.maxPositionEmbeddings() - 3];
            Arrays.fill(prompt, 5);
            assertEquals(3, new Generator(model, null).generate(prompt, Generator.Options.greedy(10, -1)).length);
        }
    }
}
