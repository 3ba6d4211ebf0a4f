package io.fedlora.client.model;

import io.fedlora.client.demo.CharTokenizerJson;
import io.fedlora.client.demo.DemoTask;

/** Small configurations for tests. */
public final class TestModels {

    private TestModels() {}

    /** 2 layers, hidden 32, 4 heads over 2 kv heads, demo vocabulary. */
    public static LlamaConfig tiny(boolean tied) {
        return new LlamaConfig("llama", 32, 48, 2, 4, 2, 8, 1e-5, 10000.0,
                CharTokenizerJson.vocabSize(DemoTask.ALPHABET), tied, 64, false,
                CharTokenizerJson.BOS, CharTokenizerJson.EOS, CharTokenizerJson.PAD);
    }

    public static LlamaConfig withKvHeads(LlamaConfig c, int kv) {
        return new LlamaConfig(c.modelType(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), kv, c.headDim(), c.rmsNormEps(), c.ropeTheta(), c.vocabSize(),
                c.tieWordEmbeddings(), c.maxPositionEmbeddings(), c.attentionBias(), c.bosTokenId(), c.eosTokenId(),
                c.padTokenId());
    }

    /** A config of any family resized to the demo tokenizer's vocabulary and special tokens. */
    public static LlamaConfig withDemoVocabulary(LlamaConfig c) {
        return new LlamaConfig(c.modelType(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(),
                CharTokenizerJson.vocabSize(DemoTask.ALPHABET), c.tieWordEmbeddings(), c.maxPositionEmbeddings(),
                c.attentionBias(), CharTokenizerJson.BOS, CharTokenizerJson.EOS, CharTokenizerJson.PAD, c.ropeScaling(),
                c.variant());
    }
}
