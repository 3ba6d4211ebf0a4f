package io.fedlora.client.model;

/** Small configurations for tests. */
public final class TestModels {

    /**
     * The demo tokenizer's vocabulary (io.fedlora.client.demo.CharTokenizerJson over
     * DemoTask.ALPHABET, in the tools module, which client-node cannot depend on): special tokens
     * {@code <pad> <s> </s> <unk>} at ids 0 to 3, then one token per character of the alphabet.
     * tools' TestModelsDemoVocabularyTest checks these against the demo code.
     */
    public static final String DEMO_ALPHABET = "\n abcdefghijklmnopqrstuvwxyz0123456789.,:;-=!?";
    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    public static final int SPECIAL_TOKENS = 4;
    public static final int DEMO_VOCAB_SIZE = SPECIAL_TOKENS + DEMO_ALPHABET.length();

    private TestModels() {}

    /** 2 layers, hidden 32, 4 heads over 2 kv heads, demo vocabulary. */
    public static LlamaConfig tiny(boolean tied) {
        return new LlamaConfig("llama", 32, 48, 2, 4, 2, 8, 1e-5, 10000.0,
                DEMO_VOCAB_SIZE, tied, 64, false,
                BOS, EOS, PAD);
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
                DEMO_VOCAB_SIZE, c.tieWordEmbeddings(), c.maxPositionEmbeddings(),
                c.attentionBias(), BOS, EOS, PAD, c.ropeScaling(),
                c.variant());
    }
}
