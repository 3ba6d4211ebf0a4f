package io.fedlora.client.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.fedlora.client.model.KvCache;
import io.fedlora.client.model.LlamaModel;
import io.fedlora.client.model.LoraAdapters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Text generation with a {@link LlamaModel} (optionally with LoRA adapters): greedy decoding, or
 * temperature / top-k sampling from a seeded generator. Uses a KV cache: the prompt runs through
 * the layers once, then each new token runs a single position against the cached keys and values.
 * Stops at the end-of-sequence id or after {@code maxNewTokens}.
 *
 * <p>Gradients are switched off on the calling thread for the duration of a call (PyTorch's grad
 * mode is per thread) and restored afterwards.
 */
public final class Generator {

    /**
     * @param maxNewTokens at most this many tokens are generated
     * @param temperature 0 for greedy (argmax, lowest id on ties), otherwise logits are divided by it
     * @param topK sample only among the k most likely tokens; 0 or less for all
     * @param seed seeds the sampler (unused when greedy)
     * @param eosTokenId generation stops after emitting it; -1 for none
     */
    public record Options(int maxNewTokens, double temperature, int topK, long seed, int eosTokenId) {
        public Options {
            if (maxNewTokens < 0) {
                throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
            }
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("temperature must be >= 0 and finite, got " + temperature);
            }
        }

        public static Options greedy(int maxNewTokens, int eosTokenId) {
            return new Options(maxNewTokens, 0, 0, 0, eosTokenId);
        }

        public static Options sampling(int maxNewTokens, double temperature, int topK, long seed, int eosTokenId) {
            return new Options(maxNewTokens, temperature, topK, seed, eosTokenId);
        }
    }

    private final LlamaModel model;
    private final LoraAdapters lora;

    /** @param lora adapters to apply, or null for the base model */
    public Generator(LlamaModel model, LoraAdapters lora) {
        this.model = model;
        this.lora = lora;
    }

    /** The generated tokens (without the prompt; ending with EOS when it stopped there). */
    public long[] generate(long[] prompt, Options o) {
        return run(prompt, o, true);
    }

    /**
     * The same decoding without a cache: every step recomputes the full sequence. Slow; kept as the
     * check on the cached path.
     */
    public long[] generateWithoutCache(long[] prompt, Options o) {
        return run(prompt, o, false);
    }

    private long[] run(long[] prompt, Options o, boolean cached) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt must not be empty");
        }
        int vocab = model.config().vocabSize();
        for (long t : prompt) {
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("prompt token " + t + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        int room = model.config().maxPositionEmbeddings() - prompt.length;
        if (room < 0) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds max_position_embeddings "
                    + model.config().maxPositionEmbeddings());
        }
        int maxNew = Math.min(o.maxNewTokens(), room);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        SplittableRandom rnd = new SplittableRandom(o.seed());
        List<Long> out = new ArrayList<>();
        long[] seq = prompt.clone();
        try (NDManager gen = model.manager().newSubManager();
                KvCache cache = cached ? new KvCache(model.config(), gen) : null) {
            long[] feed = prompt;
            for (int step = 0; step < maxNew; step++) {
                float[] last;
                try (NDManager sm = gen.newSubManager()) {
                    long[] input = cached ? feed : seq;
                    NDArray tokens = sm.create(input, new Shape(1, input.length));
                    last = cached ? model.forwardLast(tokens, lora, cache).get(0).toFloatArray()
                            : model.forward(tokens, lora, false).get("0, -1, :").toFloatArray();
                }
                long next = pick(last, o, rnd);
                out.add(next);
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = next;
                feed = new long[] {next};
                if (next == o.eosTokenId()) {
                    break;
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** The next token from the last position's logits. */
    static long pick(float[] logits, Options o, SplittableRandom rnd) {
        if (o.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // Stable sort: equal logits keep id order, so the candidate set is deterministic.
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int k = o.topK() <= 0 ? logits.length : Math.min(o.topK(), logits.length);
        double max = logits[order[0]] / o.temperature();
        double[] p = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            p[i] = Math.exp(logits[order[i]] / o.temperature() - max);
            sum += p[i];
        }
        double u = rnd.nextDouble() * sum;
        for (int i = 0; i < k; i++) {
            u -= p[i];
            if (u < 0) {
                return order[i];
            }
        }
        return order[k - 1];
    }
}
