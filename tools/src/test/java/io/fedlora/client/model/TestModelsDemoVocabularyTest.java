package io.fedlora.client.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fedlora.client.data.TinyTokenizerFiles;
import io.fedlora.client.demo.CharTokenizerJson;
import io.fedlora.client.demo.DemoTask;
import org.junit.jupiter.api.Test;

/**
 * client-node's test fixtures copy the demo vocabulary (client-node cannot depend on the tools
 * module, where the demo code lives): the copies must match the demo code.
 */
class TestModelsDemoVocabularyTest {

    @Test
    void theFixturesDemoVocabularyIsTheDemoTokenizers() {
        assertEquals(DemoTask.ALPHABET, TestModels.DEMO_ALPHABET);
        assertEquals(CharTokenizerJson.vocabSize(DemoTask.ALPHABET), TestModels.DEMO_VOCAB_SIZE);
        assertEquals(CharTokenizerJson.SPECIALS.size(), TestModels.SPECIAL_TOKENS);
        assertEquals(CharTokenizerJson.PAD, TestModels.PAD);
        assertEquals(CharTokenizerJson.BOS, TestModels.BOS);
        assertEquals(CharTokenizerJson.EOS, TestModels.EOS);
        assertEquals(CharTokenizerJson.SPECIALS, TinyTokenizerFiles.SPECIALS);
        LlamaConfig tiny = TestModels.tiny(false);
        assertEquals(CharTokenizerJson.vocabSize(DemoTask.ALPHABET), tiny.vocabSize());
        assertEquals(CharTokenizerJson.BOS, tiny.bosTokenId());
        assertEquals(CharTokenizerJson.EOS, tiny.eosTokenId());
        assertEquals(CharTokenizerJson.PAD, tiny.padTokenId());
    }
}
