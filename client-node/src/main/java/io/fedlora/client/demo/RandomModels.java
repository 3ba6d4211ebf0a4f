package io.fedlora.client.demo;

import ai.djl.ndarray.NDManager;
import io.fedlora.client.model.LlamaConfig;
import io.fedlora.client.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Path;

/** Untrained model directories (config, F32 weights, the demo's character tokenizer) for tests and benchmarks. */
public final class RandomModels {

    private RandomModels() {}

    /** Writes a randomly initialised model with {@code config} to {@code dir}; its vocabulary must fit the demo alphabet. */
    public static Path write(Path dir, LlamaConfig config, long seed) throws IOException {
        if (config.vocabSize() < CharTokenizerJson.vocabSize(DemoTask.ALPHABET)) {
            throw new IllegalArgumentException("vocab_size " + config.vocabSize() + " is smaller than the demo tokenizer's "
                    + CharTokenizerJson.vocabSize(DemoTask.ALPHABET));
        }
        try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(config, seed, m)) {
            model.save(dir);
        }
        CharTokenizerJson.write(dir.resolve("tokenizer.json"), DemoTask.ALPHABET);
        return dir;
    }
}
